using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Xml.Linq;
using Xmpp.Client.Xml;

namespace Xmpp.Client.Transport;

/// <summary>XMPP over TCP (RFC 6120): SRV or explicit host, STARTTLS or direct TLS (XEP-0368).</summary>
public sealed class TcpTransport : IXmppTransport
{
    private readonly XmppClientOptions _options;
    private readonly ArrayBufferWriter<byte> _pending = new(4096);
    private Socket? _socket;
    private Stream? _stream;
    private XmlStreamReader? _reader;
    private long _bytesOfEarlierStreams;

    public TcpTransport(XmppClientOptions options) => _options = options ?? throw new ArgumentNullException(nameof(options));

    /// <summary>Runs over an already connected stream (transcript replay in tests); <see cref="ConnectAsync"/> then does nothing.</summary>
    internal TcpTransport(XmppClientOptions options, Stream connected)
        : this(options) => _stream = connected;

    public bool IsEncrypted => _stream is SslStream;

    public TlsDetails? Tls { get; private set; }

    public bool SupportsStartTls => true;

    /// <summary>The endpoint that was connected to, e.g. <c>127.0.0.1:5222</c>.</summary>
    public EndPoint? RemoteEndPoint => _socket?.RemoteEndPoint;

    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        if (_stream is not null)
            return;
        var failures = new List<string>();
        foreach (var candidate in await EndpointResolver.CandidatesAsync(_options, cancellationToken).ConfigureAwait(false))
        {
            var socket = await TryConnectAsync(candidate, failures, cancellationToken).ConfigureAwait(false);
            if (socket is null)
                continue;
            _socket = socket;
            Stream stream = new EagerAckNetworkStream(socket);
            _options.ProtocolLogger?.LogConnect(candidate.Host, candidate.Port, _options.Security);
            if (candidate.DirectTls)
            {
                stream = await HandshakeAsync(stream, alpn: true, cancellationToken).ConfigureAwait(false);
            }
            _stream = stream;
            return;
        }
        var host = _options.ConnectHost ?? _options.Jid.Domain;
        var reasons = failures.Count > 0 ? string.Join("; ", failures) : "no address to try";
        throw new XmppConnectException(host, _options.Port ?? 0, $"Could not connect to the XMPP server for '{_options.Jid.Domain}': {reasons}.");
    }

    private async Task<Socket?> TryConnectAsync(EndpointCandidate candidate, List<string> failures, CancellationToken cancellationToken)
    {
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(candidate.Host.Trim('[', ']'), out var literal)
                ? [literal]
                : await Timeouts.RunAsync(ct => Dns.GetHostAddressesAsync(candidate.Host, ct), _options.ConnectTimeout, $"DNS resolution of '{candidate.Host}'", cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            failures.Add($"{candidate.Host}: {e.Message}");
            return null;
        }
        catch (XmppTimeoutException e)
        {
            failures.Add(e.Message);
            return null;
        }

        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await Timeouts.RunAsync(ct => socket.ConnectAsync(address, candidate.Port, ct).AsTask(), _options.ConnectTimeout,
                    $"a TCP connection to {address}:{candidate.Port}", cancellationToken).ConfigureAwait(false);
                return socket;
            }
            catch (Exception e) when (e is SocketException or XmppTimeoutException)
            {
                socket.Dispose();
                failures.Add($"{FormatEndpoint(address, candidate.Port)}: {e.Message}");
            }
        }
        return null;
    }

    private static string FormatEndpoint(IPAddress address, int port) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]:{port}" : $"{address}:{port}";

    public async Task StartTlsAsync(CancellationToken cancellationToken)
    {
        var stream = _stream ?? throw new InvalidOperationException("Not connected.");
        _bytesOfEarlierStreams += _reader?.BytesRead ?? 0;
        _reader = null;
        _stream = await HandshakeAsync(stream, alpn: false, cancellationToken).ConfigureAwait(false);
    }

    private async Task<SslStream> HandshakeAsync(Stream stream, bool alpn, CancellationToken cancellationToken)
    {
        var ssl = await Timeouts.RunAsync(ct => TlsSupport.AuthenticateAsync(stream, _options, alpn, ct), _options.ConnectTimeout,
            "the TLS handshake", cancellationToken).ConfigureAwait(false);
        Tls = TlsSupport.Details(ssl);
        return ssl;
    }

    public async Task<StreamHeader> OpenStreamAsync(string serverDomain, string? clientJid, CancellationToken cancellationToken)
    {
        EnqueueStreamHeader(serverDomain, clientJid);
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        return await ReadStreamHeaderAsync(cancellationToken).ConfigureAwait(false);
    }

    public void EnqueueStreamHeader(string serverDomain, string? clientJid)
    {
        _reader = null;
        Enqueue(XmlStreamWriter.StreamHeader(serverDomain, clientJid));
    }

    public async Task<StreamHeader> ReadStreamHeaderAsync(CancellationToken cancellationToken)
    {
        var stream = _stream ?? throw new InvalidOperationException("Not connected.");
        // Each stream restart (after STARTTLS and after SASL) starts a fresh XML document.
        _bytesOfEarlierStreams += _reader?.BytesRead ?? 0;
        _reader = new XmlStreamReader(stream, _options.MaxStanzaBytes);
        var header = await _reader.ReadHeaderAsync(cancellationToken).ConfigureAwait(false);
        _options.ProtocolLogger?.LogServer($"<stream:stream id='{header.Id}' from='{header.From}' version='{header.Version}'>");
        return header;
    }

    public long BytesReceived => _bytesOfEarlierStreams + (_reader?.BytesRead ?? 0);

    public void Enqueue(string element, string? redactedForLog = null)
    {
        _options.ProtocolLogger?.LogClient(redactedForLog ?? element);
        var span = _pending.GetSpan(Encoding.UTF8.GetMaxByteCount(element.Length));
        _pending.Advance(Encoding.UTF8.GetBytes(element, span));
    }

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var stream = _stream ?? throw new InvalidOperationException("Not connected.");
        if (_pending.WrittenCount == 0)
            return;
        try
        {
            await stream.WriteAsync(_pending.WrittenMemory, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new XmppProtocolException($"The connection to the server broke while sending: {e.Message}", "connection-closed", e);
        }
        finally
        {
            _pending.Clear();
        }
    }

    public async Task<XElement?> ReadElementAsync(CancellationToken cancellationToken)
    {
        var reader = _reader ?? throw new InvalidOperationException("The stream is not open.");
        XElement? element;
        try
        {
            element = await reader.ReadElementAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new XmppProtocolException($"The connection to the server broke: {e.Message}", "connection-closed", e);
        }
        if (_options.ProtocolLogger is { } logger)
            logger.LogServer(element is null ? "</stream:stream>" : ProtocolRedaction.ServerElement(element));
        return element;
    }

    public Task CloseStreamAsync(CancellationToken cancellationToken)
    {
        Enqueue(XmlStreamWriter.Close);
        return FlushAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _reader = null;
        if (_stream is not null)
            await _stream.DisposeAsync().ConfigureAwait(false);
        _socket?.Dispose();
        _stream = null;
    }
}
