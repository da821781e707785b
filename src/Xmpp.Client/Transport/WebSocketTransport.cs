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
    private readonly Uri _uri;
    private readonly List<string> _pending = [];
    private readonly ClientWebSocket _socket = new();
    private bool _closedByServer;
    private long _bytesReceived;

    public WebSocketTransport(XmppClientOptions options)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _uri = options.WebSocketUri ?? throw new ArgumentException("WebSocketUri is not set.", nameof(options));
        if (_uri.Scheme is not ("ws" or "wss"))
            throw new ArgumentException($"'{_uri}' is not a ws:// or wss:// address.", nameof(options));
    }

    public bool IsEncrypted => _uri.Scheme == "wss";

    /// <summary>Null: ClientWebSocket does not expose its TLS session, so channel binding is not available here.</summary>
    public TlsDetails? Tls => null;

    public bool SupportsStartTls => false;

    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        if (_options.Security == SecureSocketOptions.StartTls || _options.Security == SecureSocketOptions.DirectTls)
        {
            if (!IsEncrypted)
                throw new XmppTlsException($"'{_uri}' is not encrypted; use wss:// or choose mode none.");
        }
        _socket.Options.AddSubProtocol("xmpp");
        var check = new CertificateCheck(_options);
        _socket.Options.RemoteCertificateValidationCallback = check.Validate;
        _options.ProtocolLogger?.LogConnect(_uri.Host, _uri.Port, _options.Security);
        try
        {
            await Timeouts.RunAsync(ct => _socket.ConnectAsync(_uri, ct), _options.ConnectTimeout, $"a WebSocket connection to {_uri}", cancellationToken).ConfigureAwait(false);
        }
        catch (WebSocketException e)
        {
            if (check.Failure is { } failure)
                throw new XmppTlsException(failure, check.PolicyErrors, e);
            throw new XmppConnectException(_uri.Host, _uri.Port, $"Could not open a WebSocket to {_uri}: {e.Message}", e);
        }
        if (_socket.SubProtocol != "xmpp")
            throw new XmppConnectException(_uri.Host, _uri.Port, $"The WebSocket endpoint {_uri} did not accept the 'xmpp' subprotocol.");
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
    }
}
