using System.Net.Sockets;
using System.Text;

namespace Xmpp.TestServers;

/// <summary>Raw, client-library-free checks of an XMPP port, used for readiness and smoke tests.</summary>
public static class XmppProbe
{
    /// <summary>The client stream header a server answers with its features.</summary>
    public static string StreamHeader(string domain) =>
        $"<?xml version='1.0'?><stream:stream to='{domain}' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

    /// <summary>Opens a TCP connection, sends a stream header and returns everything up to the end of &lt;stream:features&gt;.</summary>
    public static async Task<string> ReadStreamFeaturesAsync(string host, int port, string domain, TimeSpan timeout, CancellationToken ct = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(host, port, cts.Token).ConfigureAwait(false);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes(StreamHeader(domain)), cts.Token).ConfigureAwait(false);
        return await ReadUntilFeaturesAsync(stream, cts.Token).ConfigureAwait(false);
    }

    /// <summary>Reads from <paramref name="stream"/> until a complete &lt;stream:features&gt; element arrived.</summary>
    public static async Task<string> ReadUntilFeaturesAsync(Stream stream, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var received = new StringBuilder();
        var buffer = new byte[4096];
        var decoder = Encoding.UTF8.GetDecoder();
        var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
        while (true)
        {
            var read = await stream.ReadAsync(buffer, ct).ConfigureAwait(false);
            if (read == 0)
            {
                throw new IOException("The server closed the stream before sending its features: " + received);
            }

            var count = decoder.GetChars(buffer, 0, read, chars, 0);
            received.Append(chars, 0, count);
            var text = received.ToString();
            if (text.Contains("</stream:features>", StringComparison.Ordinal) || text.Contains("<stream:features/>", StringComparison.Ordinal))
            {
                return text;
            }
        }
    }
}
