using Xmpp.Client;

namespace XmppNotify.Cli;

/// <summary>The raw XMPP exchange for -vv, one line per element. The client has already redacted SASL secrets.</summary>
internal sealed class StderrProtocolLogger(TextWriter output) : IProtocolLogger
{
    private readonly object _gate = new();

    public void LogConnect(string host, int port, SecureSocketOptions security) => Write($"connect {host}:{port} ({security})");

    public void LogClient(string text) => Write("C: " + text);

    public void LogServer(string text) => Write("S: " + text);

    private void Write(string line)
    {
        // Several URLs are served concurrently; whole lines keep their exchanges readable.
        lock (_gate)
            output.WriteLine("xmpp-notify: xmpp: " + line);
    }
}
