using System.Collections.Concurrent;
using System.Text;
using System.Threading.Channels;
using System.Xml.Linq;
using Xmpp.Client.Sasl;
using Xmpp.Client.Transport;
using Xmpp.Client.Xml;

namespace Xmpp.Client;

/// <summary>
/// One XMPP client session: <see cref="ConnectAsync"/> (transport, TLS), <see cref="AuthenticateAsync"/> (SASL, bind,
/// stream management), send, then <see cref="DisconnectAsync"/>, which proves delivery before it closes.
/// Every wait is bounded by <see cref="XmppClientOptions.ResponseTimeout"/> or <see cref="XmppClientOptions.ConnectTimeout"/>.
/// </summary>
public sealed partial class XmppClient : IAsyncDisposable
{
    private readonly XmppClientOptions _options;
    private readonly IXmppTransport _transport;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<XElement>> _pendingIqs = new(StringComparer.Ordinal);
    private readonly Channel<ReceivedMessage> _incoming;
    private readonly TaskCompletionSource _serverClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Stanzas.IdGenerator _ids;
    private readonly DeliveryTracker _delivery = new();
    private XElement? _features;
    private string? _pipelinedBindId;
    private XElement? _learnedFeatures;
    private Task? _readLoop;
    private Exception? _fault;
    private XmppException? _loginFailure;
    private ClientState _state = ClientState.New;

    public XmppClient(XmppClientOptions options)
        : this(options, CreateTransport(options))
    {
    }

    public XmppClient(XmppClientOptions options, IXmppTransport transport)
        : this(options, transport, idPrefix: null)
    {
    }

    /// <summary>With a fixed stanza-id prefix, so that a replayed transcript can answer by id.</summary>
    internal XmppClient(XmppClientOptions options, IXmppTransport transport, string? idPrefix)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _transport = transport ?? throw new ArgumentNullException(nameof(transport));
        _ids = new Stanzas.IdGenerator(idPrefix);
        // Bounded: a server flooding messages that nobody reads must not grow the session's memory.
        _incoming = Channel.CreateBounded<ReceivedMessage>(new BoundedChannelOptions(Math.Max(1, options.MaxReceivedMessages))
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = false,
            SingleWriter = true,
        });
    }

    private static IXmppTransport CreateTransport(XmppClientOptions options) =>
        options.WebSocketUri is null && !options.DiscoverWebSocket ? new TcpTransport(options) : new WebSocketTransport(options);

    private enum ClientState
    {
        New,
        Connected,
        Authenticated,
        Closed,
    }

    /// <summary>The full JID the server bound for this session.</summary>
    public Jid? BoundJid { get; private set; }

    /// <summary>The SASL mechanism that authenticated this session.</summary>
    public string? Mechanism { get; private set; }

    /// <summary>True when XEP-0198 acknowledgements are in use; otherwise delivery is proven by a ping round trip.</summary>
    public bool IsStreamManagementEnabled => _delivery.SmEnabled;

    /// <summary>True when the session runs over TLS; kept after the session is closed.</summary>
    public bool IsEncrypted { get; private set; }

    public bool IsAuthenticated => _state == ClientState.Authenticated && _fault is null;

    /// <summary>
    /// Messages received (chat, groupchat, headline, normal and error bounces), in arrival order; at most
    /// <see cref="XmppClientOptions.MaxReceivedMessages"/> are kept unread (the oldest are dropped first).
    /// </summary>
    public ChannelReader<ReceivedMessage> Messages => _incoming.Reader;

    /// <summary>Connects, secures the connection as <see cref="XmppClientOptions.Security"/> requires, and reads the stream features.</summary>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        if (_state != ClientState.New)
            throw new InvalidOperationException("ConnectAsync may be called once per client.");
        await _transport.ConnectAsync(cancellationToken).ConfigureAwait(false);
        _state = ClientState.Connected;
        // In STARTTLS mode <starttls/> travels with the stream header, a round trip early: a server that does not offer
        // it ends the session either way, because this mode never continues in cleartext.
        var pipelineStartTls = !_transport.IsEncrypted && _transport.SupportsStartTls && _options.Security == SecureSocketOptions.StartTls;
        if (_transport.IsEncrypted)
        {
            await OpenSecuredStreamAsync(cancellationToken).ConfigureAwait(false);
            return;
        }
        await OpenStreamAsync(pipelineStartTls ? StartTlsRequest : null, cancellationToken).ConfigureAwait(false);
        var startTls = _features!.Element(XName.Get("starttls", Namespaces.Tls));
        var required = startTls?.Element(XName.Get("required", Namespaces.Tls)) is not null;
        if (_options.Security == SecureSocketOptions.StartTls && (startTls is null || !_transport.SupportsStartTls))
        {
            throw new XmppTlsException($"The server for '{_options.Jid.Domain}' does not offer STARTTLS. Refusing to continue in cleartext; only mode=none allows an unencrypted connection.");
        }
        // In plaintext mode TLS is still used when the server insists on it: that is never weaker than what was asked.
        if (startTls is not null && _transport.SupportsStartTls && (_options.Security == SecureSocketOptions.StartTls || required))
            await StartTlsAsync(alreadySent: pipelineStartTls, cancellationToken).ConfigureAwait(false);
    }

    private static readonly string StartTlsRequest = $"<starttls xmlns='{Namespaces.Tls}'/>";

    private async Task StartTlsAsync(bool alreadySent, CancellationToken cancellationToken)
    {
        if (!alreadySent)
        {
            _transport.Enqueue(StartTlsRequest);
            await _transport.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        var answer = await ReadNegotiationAsync("the answer to STARTTLS", cancellationToken).ConfigureAwait(false);
        if (answer.Name != XName.Get("proceed", Namespaces.Tls))
            throw new XmppTlsException($"The server refused STARTTLS ({answer.Name.LocalName}).");
        await _transport.StartTlsAsync(cancellationToken).ConfigureAwait(false);
        await OpenSecuredStreamAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The stream over TLS, before authentication. With <see cref="XmppClientOptions.PipelineLogin"/> and features this
    /// process already saw from the same server, the stream header is not sent yet: <see cref="AuthenticateAsync"/>
    /// sends it together with the first SASL message, chosen from those features and checked against the real ones.
    /// </summary>
    private async Task OpenSecuredStreamAsync(CancellationToken cancellationToken)
    {
        if (_options.PipelineLogin && LearnedFeatures.TryGet(_options, out var learned))
        {
            _learnedFeatures = learned;
            return;
        }
        await OpenStreamAsync(null, cancellationToken).ConfigureAwait(false);
        if (_options.PipelineLogin)
            LearnedFeatures.Remember(_options, _features!);
    }

    /// <summary>Opens or restarts the stream, with <paramref name="pipelined"/> (if any) in the same flight, and reads the features.</summary>
    private async Task OpenStreamAsync(string? pipelined, CancellationToken cancellationToken)
    {
        await SendStreamHeaderAsync(pipelined, cancellationToken).ConfigureAwait(false);
        await ReadStreamHeaderAsync(cancellationToken).ConfigureAwait(false);
        var features = await ReadNegotiationAsync("the stream features", cancellationToken).ConfigureAwait(false);
        _features = CheckFeatures(features);
    }

    private async Task SendStreamHeaderAsync(string? pipelined, CancellationToken cancellationToken) =>
        await SendStreamHeaderAsync(pipelined, null, cancellationToken).ConfigureAwait(false);

    private async Task SendStreamHeaderAsync(string? pipelined, string? pipelinedLog, CancellationToken cancellationToken)
    {
        // RFC 6120 §4.7.1: the account name goes into the header only once the stream is protected or authenticated.
        var from = _transport.IsEncrypted || Mechanism is not null ? _options.Jid.ToString() : null;
        _transport.EnqueueStreamHeader(_options.Jid.Domain, from);
        if (pipelined is not null)
            _transport.Enqueue(pipelined, pipelinedLog);
        await Timeouts.RunOnStreamAsync(_transport.FlushAsync, _options.ResponseTimeout, "the server to accept data", cancellationToken).ConfigureAwait(false);
    }

    private async Task ReadStreamHeaderAsync(CancellationToken cancellationToken)
    {
        await Timeouts.RunOnStreamAsync(_transport.ReadStreamHeaderAsync, _options.ResponseTimeout, "the server's stream header", cancellationToken).ConfigureAwait(false);
        IsEncrypted = _transport.IsEncrypted;
    }

    private static XElement CheckFeatures(XElement features) =>
        features.Name == XName.Get("features", Namespaces.Streams)
            ? features
            : throw new XmppProtocolException($"Expected <stream:features/>, the server sent <{features.Name.LocalName}/>.", "bad-format");

    /// <summary>Reads one element during negotiation, when nothing else reads: stream errors become exceptions.</summary>
    private async Task<XElement> ReadNegotiationAsync(string what, CancellationToken cancellationToken)
    {
        var element = await Timeouts.RunOnStreamAsync(ct => _transport.ReadElementAsync(ct), _options.ResponseTimeout, what, cancellationToken).ConfigureAwait(false)
            ?? throw new XmppProtocolException($"The server closed the stream while the client waited for {what}.", "connection-closed");
        if (element.Name == XName.Get("error", Namespaces.Streams))
            throw StreamErrors.ToException(element);
        return element;
    }

    /// <summary>
    /// Authenticates with SASL, binds a resource, and enables stream management when offered. With
    /// <see cref="XmppClientOptions.PipelineLogin"/> it returns once the stream restart and the bind request are sent.
    /// </summary>
    public async Task AuthenticateAsync(CancellationToken cancellationToken = default)
    {
        if (_state != ClientState.Connected)
            throw new InvalidOperationException("Call ConnectAsync first, and AuthenticateAsync only once.");
        if (await TryAuthenticateSasl2Async(cancellationToken).ConfigureAwait(false))
        {
            _state = ClientState.Authenticated;
            _readLoop = Task.Run(ReadLoopAsync, CancellationToken.None);
            return;
        }
        await AuthenticateSaslAsync(cancellationToken).ConfigureAwait(false);
        if (_options.PipelineLogin)
        {
            await SendPipelinedBindAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await OpenStreamAsync(null, cancellationToken).ConfigureAwait(false);
            await BindAsync(cancellationToken).ConfigureAwait(false);
        }
        _state = ClientState.Authenticated;
        _readLoop = Task.Run(ReadLoopAsync, CancellationToken.None);
    }

    /// <summary><see cref="ConnectAsync"/> then <see cref="AuthenticateAsync"/>.</summary>
    public async Task LoginAsync(CancellationToken cancellationToken = default)
    {
        await ConnectAsync(cancellationToken).ConfigureAwait(false);
        await AuthenticateAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task AuthenticateSaslAsync(CancellationToken cancellationToken)
    {
        SaslMechanism mechanism;
        if (_learnedFeatures is { } learned && SelectMechanism(learned, throwIfNone: false) is { } guess)
        {
            // The stream header and the first SASL message in one flight, chosen from what this server offered before.
            _learnedFeatures = null;
            var (auth, authLog) = AuthRequest(guess);
            await SendStreamHeaderAsync(auth, authLog, cancellationToken).ConfigureAwait(false);
            await ReadStreamHeaderAsync(cancellationToken).ConfigureAwait(false);
            _features = CheckFeatures(await ReadNegotiationAsync("the stream features", cancellationToken).ConfigureAwait(false));
            LearnedFeatures.Remember(_options, _features);
            mechanism = SelectMechanism(_features, throwIfNone: true)!;
            if (SameChoice(guess, mechanism))
            {
                mechanism = guess;
            }
            else if (await EndGuessedExchangeAsync(guess, cancellationToken).ConfigureAwait(false))
            {
                Mechanism = guess.Name; // the server accepted the guess and proved itself (VerifySuccess passed)
                return;
            }
            else
            {
                await SendAuthAsync(mechanism, cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            if (_learnedFeatures is not null)
            {
                _learnedFeatures = null;
                await OpenStreamAsync(null, cancellationToken).ConfigureAwait(false);
            }
            mechanism = SelectMechanism(_features!, throwIfNone: true)!;
            await SendAuthAsync(mechanism, cancellationToken).ConfigureAwait(false);
        }
        Mechanism = mechanism.Name;

        for (var round = 0; round < 10; round++)
        {
            var answer = await ReadNegotiationAsync("the SASL answer", cancellationToken).ConfigureAwait(false);
            if (answer.Name.NamespaceName != Namespaces.Sasl)
                throw new XmppProtocolException($"Unexpected <{answer.Name.LocalName}/> during SASL.", "bad-format");
            switch (answer.Name.LocalName)
            {
                case "challenge":
                    var response = mechanism.EvaluateChallenge(FromBase64(answer.Value, mechanism.Name));
                    _transport.Enqueue(
                        $"<response xmlns='{Namespaces.Sasl}'>{Base64(response)}</response>",
                        $"<response xmlns='{Namespaces.Sasl}'>{mechanism.RedactForLog(response)}</response>");
                    await _transport.FlushAsync(cancellationToken).ConfigureAwait(false);
                    break;
                case "success":
                    mechanism.VerifySuccess(FromBase64(answer.Value, mechanism.Name));
                    return;
                case "failure":
                    throw AuthenticationFailure(answer, mechanism);
                default:
                    throw new XmppProtocolException($"Unexpected <{answer.Name.LocalName}/> during SASL.", "bad-format");
            }
        }
        throw new XmppAuthenticationException($"The server kept sending SASL challenges for {mechanism.Name}; giving up.", null, mechanism.Name);
    }

    private SaslMechanism? SelectMechanism(XElement features, bool throwIfNone) =>
        SelectMechanism(features.Element(XName.Get("mechanisms", Namespaces.Sasl))?.Elements(XName.Get("mechanism", Namespaces.Sasl))
            .Select(m => m.Value.Trim()).ToArray() ?? [], features, throwIfNone);

    /// <summary>The strongest usable mechanism among <paramref name="offered"/> (SASL or SASL2), under the channel-binding and PLAIN rules.</summary>
    private SaslMechanism? SelectMechanism(string[] offered, XElement features, bool throwIfNone)
    {
        if (offered.Length == 0)
        {
            return throwIfNone
                ? throw new XmppAuthenticationException($"The server for '{_options.Jid.Domain}' offers no SASL mechanism" + (_transport.IsEncrypted ? "." : " on this unencrypted connection; use TLS (mode=starttls or mode=tls)."))
                : null;
        }
        var binding = ChannelBindingFor(features);
        var allowPlain = _transport.IsEncrypted || _options.Security == SecureSocketOptions.None;
        var credentials = new SaslCredentials(_options.Jid.Local!, _options.Password);
        var mechanism = SaslMechanisms.Select(offered, credentials, binding, _options.AllowChannelBinding, allowPlain, _options.AllowedMechanisms);
        return mechanism is null && throwIfNone ? throw new XmppAuthenticationException(NoMechanismMessage(offered, allowPlain)) : mechanism;
    }

    /// <summary>The channel binding this connection can offer the server, from its XEP-0440 advertisement and the TLS version.</summary>
    private ChannelBinding? ChannelBindingFor(XElement features)
    {
        var advertisedBindings = features.Element(XName.Get("sasl-channel-binding", Namespaces.SaslChannelBinding))?
            .Elements(XName.Get("channel-binding", Namespaces.SaslChannelBinding)).Select(e => (string?)e.Attribute("type") ?? "").ToArray() ?? [];
        return _transport.Tls is { } tls ? SaslMechanisms.ChooseChannelBinding(advertisedBindings, tls.Protocol, tls.ChannelBindingData) : null;
    }

    /// <summary>Same mechanism and, for SCRAM, the same GS2 header (channel binding and its downgrade flag depend on the offer).</summary>
    private static bool SameChoice(SaslMechanism guess, SaslMechanism real) =>
        guess.Name == real.Name && (guess as SaslMechanismScram)?.Gs2Header == (real as SaslMechanismScram)?.Gs2Header;

    private static (string Xml, string Log) AuthRequest(SaslMechanism mechanism)
    {
        var initial = mechanism.GetInitialResponse();
        return ($"<auth xmlns='{Namespaces.Sasl}' mechanism='{mechanism.Name}'>{Base64(initial)}</auth>",
            $"<auth xmlns='{Namespaces.Sasl}' mechanism='{mechanism.Name}'>{mechanism.RedactForLog(initial)}</auth>");
    }

    private async Task SendAuthAsync(SaslMechanism mechanism, CancellationToken cancellationToken)
    {
        var (xml, log) = AuthRequest(mechanism);
        _transport.Enqueue(xml, log);
        await Timeouts.RunOnStreamAsync(_transport.FlushAsync, _options.ResponseTimeout, "the server to accept data", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The server changed what it offers since this process learnt it, and the guessed <c>&lt;auth/&gt;</c> is already
    /// on its way. Its answer ends that exchange: a failure (e.g. invalid-mechanism) or, after an <c>&lt;abort/&gt;</c>
    /// (RFC 6120 §6.4.4), the aborted failure; the caller then starts over with what the server offers now. Returns
    /// true only when the server accepted the guess outright with a verified success.
    /// </summary>
    private async Task<bool> EndGuessedExchangeAsync(SaslMechanism guess, CancellationToken cancellationToken)
    {
        var answer = await ReadNegotiationAsync("the SASL answer", cancellationToken).ConfigureAwait(false);
        if (answer.Name == XName.Get("success", Namespaces.Sasl))
        {
            guess.VerifySuccess(FromBase64(answer.Value, guess.Name));
            return true;
        }
        if (answer.Name == XName.Get("challenge", Namespaces.Sasl))
        {
            _transport.Enqueue($"<abort xmlns='{Namespaces.Sasl}'/>");
            await Timeouts.RunOnStreamAsync(_transport.FlushAsync, _options.ResponseTimeout, "the server to accept data", cancellationToken).ConfigureAwait(false);
            answer = await ReadNegotiationAsync("the answer to the SASL abort", cancellationToken).ConfigureAwait(false);
        }
        if (answer.Name != XName.Get("failure", Namespaces.Sasl))
            throw new XmppProtocolException($"Unexpected <{answer.Name.LocalName}/> while ending a SASL exchange.", "bad-format");
        return false;
    }

    private string NoMechanismMessage(string[] offered, bool allowPlain)
    {
        var text = $"No usable SASL mechanism for '{_options.Jid}': the server offers {string.Join(", ", offered)}";
        if (_options.AllowedMechanisms is { Count: > 0 } allowed)
            text += $"; this client allows only {string.Join(", ", allowed)}";
        if (!allowPlain && offered.Contains("PLAIN", StringComparer.Ordinal))
            text += "; PLAIN is refused over an unencrypted connection (it would send the password in clear) unless mode=none is chosen";
        return text + ".";
    }

    private XmppAuthenticationException AuthenticationFailure(XElement failure, SaslMechanism mechanism)
    {
        // SASL2 failures carry the RFC 6120 condition too; their text (and some servers' conditions) are in the SASL2 namespace.
        var condition = failure.Elements().FirstOrDefault(e => e.Name.NamespaceName is Namespaces.Sasl or Namespaces.Sasl2 && e.Name.LocalName is not "text" and not "additional-data")?.Name.LocalName;
        var text = (string?)failure.Elements().FirstOrDefault(e => e.Name.NamespaceName is Namespaces.Sasl or Namespaces.Sasl2 && e.Name.LocalName == "text");
        if (mechanism is SaslMechanismHashedToken)
        {
            return new XmppAuthenticationException(
                $"The server refused the FAST token of '{_options.Jid}' ({condition ?? "failure"}); it is forgotten, and the next login authenticates with SCRAM.",
                condition, mechanism.Name);
        }
        var message = new StringBuilder($"The server rejected the login of '{_options.Jid}' with {mechanism.Name}: {condition ?? "failure"}");
        if (!string.IsNullOrWhiteSpace(text))
            message.Append(" (").Append(text.Trim()).Append(')');
        message.Append('.');
        if (condition == "not-authorized")
            message.Append(" Check the user name and password.");
        if (mechanism.UsesChannelBinding)
            message.Append(" If the server cannot verify channel binding, turn off SCRAM -PLUS (scramplus=no).");
        return new XmppAuthenticationException(message.ToString(), condition, mechanism.Name);
    }

    private static string Base64(byte[] data) => data.Length == 0 ? "=" : Convert.ToBase64String(data);

    private static byte[] FromBase64(string text, string mechanism)
    {
        text = text.Trim();
        if (text.Length == 0 || text == "=")
            return [];
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException e)
        {
            throw new XmppAuthenticationException($"The server sent invalid base64 in a {mechanism} exchange.", "malformed-request", mechanism, e);
        }
    }

    private string BindRequest(string id) => _options.Resource is { Length: > 0 } r
        ? $"<iq type='set' id='{id}'><bind xmlns='{Namespaces.Bind}'><resource>{XmlStreamWriter.EscapeText(r)}</resource></bind></iq>"
        : $"<iq type='set' id='{id}'><bind xmlns='{Namespaces.Bind}'/></iq>";

    /// <summary>
    /// The stream restart and the bind request in one flight, without waiting for the features: every server offers
    /// binding after SASL (RFC 6120 §7), and it handles a stream's elements in order, so stanzas the caller sends next
    /// may follow at once. The read loop reads the new header, the features and the bind answer.
    /// </summary>
    private async Task SendPipelinedBindAsync(CancellationToken cancellationToken)
    {
        _pipelinedBindId = _ids.Next();
        await SendStreamHeaderAsync(BindRequest(_pipelinedBindId), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads what answers a pipelined restart: the header, the features (they must offer binding), and the bind result.</summary>
    private async Task ReadPipelinedRestartAsync(CancellationToken cancellationToken)
    {
        // Bounded, and a lost connection becomes a typed failure like every other read on the stream.
        await ReadStreamHeaderAsync(cancellationToken).ConfigureAwait(false);
        var features = await Timeouts.RunOnStreamAsync(ct => _transport.ReadElementAsync(ct), _options.ResponseTimeout, "the stream features", cancellationToken).ConfigureAwait(false)
            ?? throw new XmppProtocolException("The server closed the stream while the client waited for the stream features.", "connection-closed");
        if (features.Name == XName.Get("error", Namespaces.Streams))
            throw StreamErrors.ToException(features);
        _features = CheckFeatures(features);
        if (features.Element(XName.Get("bind", Namespaces.Bind)) is null)
            throw new XmppProtocolException("The server offers no resource binding after authentication.", "bad-format");
        // RFC 6121 legacy session establishment, only where the server still marks it mandatory (no current server does).
        var session = features.Element(XName.Get("session", Namespaces.Session));
        if (session is not null && session.Element(XName.Get("optional", Namespaces.Session)) is null)
            await SendStanzaCoreAsync($"<iq type='set' id='{_ids.Next()}'><session xmlns='{Namespaces.Session}'/></iq>", null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The answer to a pipelined bind: the bound JID, or the failure that ends the session.</summary>
    private void OnPipelinedBindAnswer(XElement iq)
    {
        _pipelinedBindId = null;
        if (Stanzas.ReadError(iq) is { } error)
            throw new XmppStanzaErrorException(error, "Resource binding failed");
        var jidText = iq.Element(XName.Get("bind", Namespaces.Bind))?.Element(XName.Get("jid", Namespaces.Bind))?.Value;
        BoundJid = Jid.TryParse(jidText, out var bound) ? bound : throw new XmppProtocolException($"The server bound an invalid JID '{jidText}'.", "bad-format");
    }

    private async Task BindAsync(CancellationToken cancellationToken)
    {
        var features = _features!;
        if (features.Element(XName.Get("bind", Namespaces.Bind)) is null)
            throw new XmppProtocolException("The server offers no resource binding after authentication.", "bad-format");
        var bindId = _ids.Next();
        _transport.Enqueue(BindRequest(bindId));
        // RFC 6121 legacy session establishment, only where the server still marks it mandatory.
        var session = features.Element(XName.Get("session", Namespaces.Session));
        string? sessionId = null;
        if (session is not null && session.Element(XName.Get("optional", Namespaces.Session)) is null)
        {
            sessionId = _ids.Next();
            _transport.Enqueue($"<iq type='set' id='{sessionId}'><session xmlns='{Namespaces.Session}'/></iq>");
        }
        // XEP-0198 enable is pipelined behind bind: the server handles them in order, which saves a round trip.
        var enableSm = _options.UseStreamManagement && features.Element(XName.Get("sm", Namespaces.StreamManagement)) is not null;
        if (enableSm)
            _transport.Enqueue($"<enable xmlns='{Namespaces.StreamManagement}'/>");
        await _transport.FlushAsync(cancellationToken).ConfigureAwait(false);

        var waitingBind = true;
        var waitingSession = sessionId is not null;
        var waitingSm = enableSm;
        while (waitingBind || waitingSession || waitingSm)
        {
            var element = await ReadNegotiationAsync("the resource binding result", cancellationToken).ConfigureAwait(false);
            var id = (string?)element.Attribute("id");
            if (element.Name.LocalName == "iq" && id == bindId)
            {
                if (Stanzas.ReadError(element) is { } error)
                    throw new XmppStanzaErrorException(error, "Resource binding failed");
                var jidText = element.Element(XName.Get("bind", Namespaces.Bind))?.Element(XName.Get("jid", Namespaces.Bind))?.Value;
                BoundJid = Jid.TryParse(jidText, out var bound) ? bound : throw new XmppProtocolException($"The server bound an invalid JID '{jidText}'.", "bad-format");
                waitingBind = false;
            }
            else if (element.Name.LocalName == "iq" && id == sessionId)
            {
                if (Stanzas.ReadError(element) is { } error)
                    throw new XmppStanzaErrorException(error, "Session establishment failed");
                waitingSession = false;
            }
            else if (element.Name == XName.Get("enabled", Namespaces.StreamManagement))
            {
                _delivery.EnableStreamManagement();
                waitingSm = false;
            }
            else if (element.Name == XName.Get("failed", Namespaces.StreamManagement))
            {
                waitingSm = false; // delivery is then proven by ping round trips
            }
            else if (waitingBind)
            {
                throw new XmppProtocolException($"Unexpected <{element.Name.LocalName}/> before resource binding completed.", "bad-format");
            }
            else
            {
                Dispatch(element);
            }
        }
    }
}
