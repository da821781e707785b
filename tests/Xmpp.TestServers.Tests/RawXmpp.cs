using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;

namespace Xmpp.TestServers.Tests;

/// <summary>STARTTLS by hand, so server checks do not depend on the client under development.</summary>
internal static class RawXmpp
{
    public static async Task<(string Features, SslProtocols Protocol)> StartTlsAndReadFeaturesAsync(
        string host, int port, string domain, TestCertificates certificates, SslProtocols protocols, CancellationToken ct)
    {
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(host, port, ct);
        var network = client.GetStream();
        await network.WriteAsync(Encoding.UTF8.GetBytes(XmppProbe.StreamHeader(domain)), ct);
        var features = await XmppProbe.ReadUntilFeaturesAsync(network, ct);
        Assert.Contains("urn:ietf:params:xml:ns:xmpp-tls", features);
        await network.WriteAsync(Encoding.UTF8.GetBytes("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"), ct);
        var proceed = await ReadUntilAsync(network, "<proceed", ct);
        Assert.Contains("proceed", proceed);
        await using var tls = new SslStream(network, leaveInnerStreamOpen: false, certificates.ValidationCallback(domain));
        await tls.AuthenticateAsClientAsync(
            new SslClientAuthenticationOptions { TargetHost = domain, EnabledSslProtocols = protocols }, ct);
        await tls.WriteAsync(Encoding.UTF8.GetBytes(XmppProbe.StreamHeader(domain)), ct);
        return (await XmppProbe.ReadUntilFeaturesAsync(tls, ct), tls.SslProtocol);
    }

    private static async Task<string> ReadUntilAsync(Stream stream, string marker, CancellationToken ct)
    {
        var text = new StringBuilder();
        var buffer = new byte[1];
        // Byte by byte: nothing after <proceed/> may be consumed before the TLS handshake starts.
        while (!text.ToString().Contains(marker, StringComparison.Ordinal) || !text.ToString().EndsWith('>'))
        {
            if (await stream.ReadAsync(buffer, ct) == 0)
            {
                throw new IOException("Stream closed: " + text);
            }

            text.Append((char)buffer[0]);
        }

        return text.ToString();
    }
}
