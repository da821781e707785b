namespace Xmpp.Client;

/// <summary>Receives the raw protocol exchange. Credentials are already redacted when these are called.</summary>
public interface IProtocolLogger
{
    void LogConnect(string host, int port, SecureSocketOptions security);

    /// <summary>Text the client sent (SASL payloads carrying secrets are replaced by <c>[redacted]</c>).</summary>
    void LogClient(string text);

    /// <summary>Text the server sent (SASL challenge and success payloads are replaced by <c>[redacted]</c>).</summary>
    void LogServer(string text);
}

/// <summary>What the protocol log shows of the server's elements.</summary>
internal static class ProtocolRedaction
{
    /// <summary>
    /// SASL challenges and success data carry the SCRAM salt, iteration count, nonces and server signature: with the
    /// client's messages they allow an offline dictionary attack on the password, so their payload is never logged.
    /// </summary>
    public static string ServerElement(System.Xml.Linq.XElement element)
    {
        if (element.Name.NamespaceName == Namespaces.Sasl && element.Name.LocalName is "challenge" or "success" && element.Value.Trim().Length > 0 && element.Value.Trim() != "=")
            return $"<{element.Name.LocalName} xmlns='{Namespaces.Sasl}'>[redacted]</{element.Name.LocalName}>";
        return element.ToString(System.Xml.Linq.SaveOptions.DisableFormatting);
    }
}
