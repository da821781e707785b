using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Xml.Linq;
using Xmpp.Client.Xml;

namespace Xmpp.Client.Transport;

/// <summary>
/// XMPP over WebSocket (RFC 7395): subprotocol <c>xmpp</c>, one complete element per text frame, <c>&lt;open/&gt;</c>
/// and <c>&lt;close/&gt;</c> in place of the stream header. TLS comes from <c>wss://</c>, so there is no STARTTLS.
/// </summary>
public sealed class WebSocketTransport : IXmppTransport
{
    private const string Framing = "urn:ietf:params:xml:ns:xmpp-framing";
    private readonly XmppClientOptions _options;
    private readonly List<string> _pending = [];
    private readonly ClientWebSocket _socket = new();
    private Uri? _uri;
    private HttpMessageInvoker? _invoker;
    private bool _closedByServer;
    private long _bytesReceived;

    /// <summary>Headers that belong to the WebSocket handshake itself; extra headers may not replace them.</summary>
    private static readonly HashSet<string> ReservedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Upgrade", "Content-Length", "Transfer-Encoding", "Sec-WebSocket-Key", "Sec-WebSocket-Version",
        "Sec-WebSocket-Protocol", "Sec-WebSocket-Extensions", "Sec-WebSocket-Accept",
    };

    public WebSocketTransport(XmppClientOptions options)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.WebSocketUri is { } uri)
        {
            if (!uri.IsAbsoluteUri || uri.Scheme is not ("ws" or "wss"))
                throw new ArgumentException($"'{Describe(uri)}' is not a ws:// or wss:// address.", nameof(options));
            _uri = uri;
        }
        else if (!options.DiscoverWebSocket)
        {
            throw new ArgumentException("Neither WebSocketUri nor DiscoverWebSocket is set.", nameof(options));
        }
        foreach (var (name, _) in options.WebSocketHeaders)
            CheckHeaderName(name);
    }

    /// <summary>Throws when <paramref name="name"/> is not an HTTP token (RFC 9110 §5.1) or is a header of the handshake itself.</summary>
    public static void CheckHeaderName(string name)
    {
        if (string.IsNullOrEmpty(name) || !name.All(c => c < 0x7F && (char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c))))
            throw new ArgumentException($"'{name}' is not a valid HTTP header name.", nameof(name));
        if (ReservedHeaders.Contains(name))
            throw new ArgumentException($"The header '{name}' is part of the WebSocket handshake and cannot be set.", nameof(name));
    }

    /// <summary>Scheme, host, port and path only: a query or user-info may hold a token.</summary>
    public static string Describe(Uri uri) =>
        uri.IsAbsoluteUri ? $"{uri.Scheme}://{uri.Authority}{uri.AbsolutePath}{(string.IsNullOrEmpty(uri.Query) ? "" : "?****")}" : "(relative address)";

    /// <summary>The endpoint in use: explicit, or discovered by <see cref="ConnectAsync"/>.</summary>
    public Uri? Endpoint => _uri;

    public bool IsEncrypted => _uri?.Scheme == "wss";

    /// <summary>Null: ClientWebSocket does not expose its TLS session, so channel binding is not available here.</summary>
    public TlsDetails? Tls => null;

    public bool SupportsStartTls => false;

    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        _uri ??= await HostMetaDiscovery.DiscoverAsync(_options, cancellationToken).ConfigureAwait(false);
        var uri = _uri;
        var shown = Describe(uri);
        if (_options.Security == SecureSocketOptions.StartTls || _options.Security == SecureSocketOptions.DirectTls)
        {
            if (!IsEncrypted)
                throw new XmppTlsException($"'{shown}' is not encrypted; use wss:// or choose mode none.");
        }
        _socket.Options.AddSubProtocol("xmpp");
        foreach (var (name, value) in _options.WebSocketHeaders)
        {
            if (value.Any(c => char.IsControl(c) && c != '\t'))
                throw new ArgumentException($"The value of the header '{name}' contains control characters.");
            _socket.Options.SetRequestHeader(name, value);
        }
        var check = new CertificateCheck(_options, uri.IdnHost);
        // Our own handler, so that the connection gets the same TLS versions, trust and connect bound as TCP sessions.
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = _options.ConnectTimeout,
            UseCookies = false,
            AllowAutoRedirect = false,
            SslOptions =
            {
                RemoteCertificateValidationCallback = check.Validate,
                EnabledSslProtocols = _options.SslProtocols,
                CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
            },
        };
        _invoker = new HttpMessageInvoker(handler, disposeHandler: true);
        _options.ProtocolLogger?.LogConnect(uri.Host, uri.Port, _options.Security);
        try
        {
            await Timeouts.RunAsync(ct => _socket.ConnectAsync(uri, _invoker, ct), _options.ConnectTimeout, $"a WebSocket connection to {shown}", cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or HttpRequestException)
        {
            if (check.Failure is { } failure)
                throw new XmppTlsException(failure, check.PolicyErrors, e);
            throw new XmppConnectException(uri.Host, uri.Port, $"Could not open a WebSocket to {shown}: {Flatten(e)}", e);
        }
        if (_socket.SubProtocol != "xmpp")
            throw new XmppConnectException(uri.Host, uri.Port, $"The WebSocket endpoint {shown} did not accept the 'xmpp' subprotocol.");
    }

    private static string Flatten(Exception e)
    {
        var messages = new List<string>();
        for (var current = e; current is not null && messages.Count < 3; current = current.InnerException)
            messages.Add(current.Message);
        return string.Join(": ", messages.Distinct());
    }

    public Task StartTlsAsync(CancellationToken cancellationToken) =>
        throw new NotSupportedException("STARTTLS does not apply to WebSocket; use wss://.");

    public async Task<StreamHeader> OpenStreamAsync(string serverDomain, string? clientJid, CancellationToken cancellationToken)
    {
        EnqueueStreamHeader(serverDomain, clientJid);
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        return await ReadStreamHeaderAsync(cancellationToken).ConfigureAwait(false);
    }

    public void EnqueueStreamHeader(string serverDomain, string? clientJid)
    {
        var from = clientJid is null ? "" : $" from='{XmlStreamWriter.EscapeAttribute(clientJid)}'";
        Enqueue($"<open xmlns='{Framing}' to='{XmlStreamWriter.EscapeAttribute(serverDomain)}'{from} version='1.0'/>");
    }

    public async Task<StreamHeader> ReadStreamHeaderAsync(CancellationToken cancellationToken)
    {
        var open = await ReadElementAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new XmppProtocolException("The server closed the WebSocket stream instead of opening it.", "connection-closed");
        if (open.Name == XName.Get("error", Namespaces.Streams))
            throw StreamErrors.ToException(open);
        if (open.Name != XName.Get("open", Framing))
            throw new XmppProtocolException($"Expected <open/> from the WebSocket server, got <{open.Name.LocalName}/>.", "bad-format");
        return new StreamHeader((string?)open.Attribute("id"), (string?)open.Attribute("from"), (string?)open.Attribute("version"),
            (string?)open.Attribute(XNamespace.Xml + "lang"));
    }

    public void Enqueue(string element, string? redactedForLog = null)
    {
        _options.ProtocolLogger?.LogClient(redactedForLog ?? element);
        _pending.Add(AddClientNamespace(element));
    }

    /// <summary>RFC 7395 §3.2: stanzas carry their namespace explicitly, since there is no enclosing stream element.</summary>
    private static string AddClientNamespace(string element)
    {
        if (element.StartsWith("<message", StringComparison.Ordinal) || element.StartsWith("<presence", StringComparison.Ordinal) || element.StartsWith("<iq", StringComparison.Ordinal))
        {
            var nameEnd = element.IndexOfAny([' ', '/', '>']);
            if (nameEnd > 0 && !element.AsSpan(0, element.IndexOf('>', StringComparison.Ordinal) + 1).Contains("xmlns=", StringComparison.Ordinal))
                return element.Insert(nameEnd, $" xmlns='{Namespaces.Client}'");
        }
        return element;
    }

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        foreach (var element in _pending)
        {
            var bytes = Encoding.UTF8.GetBytes(element);
            await _socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, cancellationToken).ConfigureAwait(false);
        }
        _pending.Clear();
    }

    public async Task<XElement?> ReadElementAsync(CancellationToken cancellationToken)
    {
        if (_closedByServer)
            return null;
        var buffer = new ArrayBufferWriter<byte>(4096);
        while (true)
        {
            ValueWebSocketReceiveResult result;
            try
            {
                result = await _socket.ReceiveAsync(buffer.GetMemory(4096), cancellationToken).ConfigureAwait(false);
            }
            catch (WebSocketException e)
            {
                throw new XmppProtocolException($"The WebSocket connection broke: {e.Message}", "connection-closed", e);
            }
            if (result.MessageType == WebSocketMessageType.Close)
            {
                _closedByServer = true;
                return null;
            }
            buffer.Advance(result.Count);
            _bytesReceived += result.Count;
            if (buffer.WrittenCount > _options.MaxStanzaBytes)
                throw new XmppProtocolException($"The server sent a WebSocket frame larger than {_options.MaxStanzaBytes} bytes.", "policy-violation");
            if (result.EndOfMessage)
                break;
        }
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer.WrittenSpan);
        }
        catch (DecoderFallbackException e)
        {
            throw new XmppProtocolException("The server sent invalid UTF-8.", "not-well-formed", e);
        }
        var element = XmlFragment.ParseElement(text, _options.MaxStanzaBytes);
        _options.ProtocolLogger?.LogServer(ProtocolRedaction.ServerElement(element));
        if (element.Name == XName.Get("close", Framing))
        {
            _closedByServer = true;
            return null;
        }
        return element;
    }

    public long BytesReceived => _bytesReceived;

    public async Task CloseStreamAsync(CancellationToken cancellationToken)
    {
        Enqueue($"<close xmlns='{Framing}'/>");
        await FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open || _socket.State == WebSocketState.CloseReceived)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            try
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
                // Best effort: the session is over either way.
            }
        }
        _socket.Dispose();
        _invoker?.Dispose();
    }
}
