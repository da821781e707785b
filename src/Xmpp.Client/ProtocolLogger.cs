namespace Xmpp.Client;

/// <summary>Receives the raw protocol exchange. Credentials are already redacted when these are called.</summary>
public interface IProtocolLogger
{
    void LogConnect(string host, int port, SecureSocketOptions security);

    /// <summary>Text the client sent (SASL payloads carrying secrets are replaced by <c>[redacted]</c>).</summary>
    void LogClient(string text);

    /// <summary>Text the server sent.</summary>
    void LogServer(string text);
}
