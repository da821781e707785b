using System.Globalization;
using System.Text.Json;
using System.Text;
using Xmpp.Client;

namespace Xmpp.Notifications.Apprise;

/// <summary>
/// An Apprise XMPP URL (<c>xmpp://user:password@host[:port][/target…][?param=…]</c>) turned into an immutable
/// delivery plan, following Apprise 1.13's <c>apprise/plugins/xmpp</c> semantics where they are sound and
/// rejecting (rather than silently ignoring) values Apprise would quietly drop. The password is only reachable
/// through the internal <see cref="Password"/>, <see cref="ToClientOptions"/> and <c>ToUrl(true)</c>.
/// </summary>
public sealed partial class AppriseXmppUrl : IEquatable<AppriseXmppUrl>
{
    /// <summary>
    /// The body limit used by <see cref="Overflow"/>: Apprise's XMPP plugin does not override
    /// <c>NotifyBase.body_maxlen</c>, which is 32768 characters. XMPP itself has no message-size limit in the
    /// protocol, but servers cap stanza size (Prosody's default is 256 KiB for c2s), so 32768 characters keeps a
    /// message safely inside any common server limit even when every character needs several UTF-8 bytes.
    /// </summary>
    public const int MaxBodyLength = 32768;

    public const int DefaultPort = 5222;
    public const int DefaultTlsPort = 5223;

    /// <summary>Apprise's <c>APPRISE_MAX_SERVICE_RETRY</c>.</summary>
    public const int MaxRetry = 10;

    /// <summary>Apprise's <c>APPRISE_MAX_SERVICE_WAIT</c>, in seconds.</summary>
    public const double MaxWaitSeconds = 20.0;

    /// <summary>Apprise's <c>AppriseAsset.default_service_wait</c>, in seconds.</summary>
    public const double DefaultWaitSeconds = 0.5;

    /// <summary>Apprise's <c>URLBase.socket_connect_timeout</c> and <c>socket_read_timeout</c>, in seconds.</summary>
    public const double DefaultTimeoutSeconds = 4.0;

    /// <summary>Upper bound for <c>cto</c>/<c>rto</c>; Apprise has none, but a day is already absurd for one notification.</summary>
    public const double MaxTimeoutSeconds = 86400.0;

    internal const string Redacted = "****";

    // The user name as written (percent-decoded, not case-folded): Apprise uses it as the default MUC nickname,
    // and the canonical URL must give it back unchanged so that the nickname round-trips.
    private readonly string _user;
    private readonly bool _targetsFromUrl;
    private readonly double _connectTimeoutSeconds;
    private readonly double _readTimeoutSeconds;

    private AppriseXmppUrl(Draft d)
    {
        _user = d.User;
        LoginJid = d.LoginJid;
        Password = d.Password;
        ConnectHost = d.ConnectHost;
        Port = d.Port;
        Mode = d.Mode;
        Verify = d.Verify;
        Targets = d.Targets;
        InvalidTargets = d.InvalidTargets;
        _targetsFromUrl = d.TargetsFromUrl;
        Subject = d.Subject;
        Nick = d.Nick;
        ScramPlus = d.ScramPlus;
        Roster = d.Roster;
        KeepAlive = d.KeepAlive;
        Format = d.Format;
        Overflow = d.Overflow;
        Retry = d.Retry;
        Wait = d.Wait;
        Optional = d.Optional;
        _connectTimeoutSeconds = d.ConnectTimeoutSeconds;
        _readTimeoutSeconds = d.ReadTimeoutSeconds;
        Receipts = d.Receipts;
        ReceiptsGiven = d.ReceiptsGiven;
        Subscribe = d.Subscribe;
        Offline = d.Offline;
        Recipients = d.Recipients;
        RecipientsGiven = d.RecipientsGiven;
        Transport = d.Transport;
        WebSocketUri = d.WebSocketUri;
        WebSocketHeaders = d.WebSocketHeaders;
        IgnoredParameters = d.IgnoredParameters;
        Notes = d.Notes;
    }

    /// <summary>The account: always <c>user@host</c> from the URL (<c>xmpp=</c> changes only where we connect).</summary>
    public Jid LoginJid { get; }

    internal string Password { get; }

    /// <summary>Where the TCP connection goes: the URL host, or the <c>xmpp=</c> value. IPv6 without brackets.</summary>
    public string ConnectHost { get; }

    /// <summary>The explicit <c>:port</c> (or <c>port=</c>); otherwise 5222, or 5223 for <see cref="XmppSecurityMode.Tls"/>.</summary>
    public int Port { get; }

    public XmppSecurityMode Mode { get; }

    public SecureSocketOptions Security => Mode switch
    {
        XmppSecurityMode.None => SecureSocketOptions.None,
        XmppSecurityMode.Tls => SecureSocketOptions.DirectTls,
        _ => SecureSocketOptions.StartTls,
    };

    /// <summary><c>verify=</c>: check the server certificate (default yes).</summary>
    public bool Verify { get; }

    /// <summary>
    /// The recipients, in the order written (path first, then <c>to=</c>), duplicates listed once. A URL with no
    /// targets at all sends to the sender's own JID, as Apprise does. A URL whose targets are all invalid has none.
    /// </summary>
    public IReadOnlyList<XmppTarget> Targets { get; }

    /// <summary>Targets that are not valid addresses; Apprise drops these with a log line, we report them.</summary>
    public IReadOnlyList<InvalidTarget> InvalidTargets { get; }

    /// <summary><c>subject=yes</c> puts the title in <c>&lt;subject/&gt;</c>; the default sends <c>title\r\nbody</c>.</summary>
    public bool Subject { get; }

    /// <summary>MUC nickname: <c>name=</c> when it matches <c>^[A-Za-z0-9_]+$</c>, else the user name as written.</summary>
    public string Nick { get; }

    /// <summary><c>scramplus=no</c> forbids SCRAM-*-PLUS (channel binding).</summary>
    public bool ScramPlus { get; }

    /// <summary><c>roster=yes</c>: Apprise fetches the roster after login.</summary>
    public bool Roster { get; }

    /// <summary><c>keepalive=</c>: accepted for compatibility; it has no effect, connections last one invocation.</summary>
    public bool KeepAlive { get; }

    public NotifyFormat Format { get; }

    public OverflowMode Overflow { get; }

    /// <summary><c>retry=</c>: extra attempts after a failed delivery, 0 to <see cref="MaxRetry"/>.</summary>
    public int Retry { get; }

    /// <summary><c>wait=</c>: seconds between attempts, 0 to <see cref="MaxWaitSeconds"/>.</summary>
    public double Wait { get; }

    /// <summary><c>optional=yes</c>: a failure of this URL does not fail the notification.</summary>
    public bool Optional { get; }

    /// <summary><c>cto=</c>: seconds for connect plus TLS handshake.</summary>
    public TimeSpan ConnectTimeout => TimeSpan.FromSeconds(_connectTimeoutSeconds);

    /// <summary><c>rto=</c>: seconds for each wait on the server.</summary>
    public TimeSpan ReadTimeout => TimeSpan.FromSeconds(_readTimeoutSeconds);

    /// <summary><c>receipts=no|wait|yes|require</c>: XEP-0184 receipts for person targets (default no).</summary>
    public ReceiptMode Receipts { get; }

    /// <summary>True when the URL itself set <c>receipts=</c>; otherwise a binding-wide default may apply.</summary>
    public bool ReceiptsGiven { get; }

    /// <summary><c>subscribe=ignore|accept|deny</c>: how subscription requests reaching a session are answered (default ignore).</summary>
    public SubscriptionPolicy Subscribe { get; }

    /// <summary><c>offline=send|skip|fail</c>: person targets whose presence shows them unavailable (default send).</summary>
    public OfflinePolicy Offline { get; }

    /// <summary><c>recipients=any|url|domain</c>: where a notification's own targets may send (default any, or the binding's).</summary>
    public RecipientPolicy Recipients { get; }

    /// <summary>True when the URL itself set <c>recipients=</c>; otherwise a binding-wide default may apply.</summary>
    public bool RecipientsGiven { get; }

    /// <summary><c>transport=tcp|websocket</c>; <c>wsurl=</c> implies websocket.</summary>
    public UrlTransport Transport { get; }

    /// <summary><c>wsurl=</c>: the explicit WebSocket endpoint; null with <see cref="UrlTransport.WebSocket"/> means XEP-0156 discovery. Its query may hold a token, so it is internal.</summary>
    internal Uri? WebSocketUri { get; }

    /// <summary>The WebSocket endpoint for display (query masked), <c>null</c> when it is discovered or the transport is TCP.</summary>
    public string? WebSocketEndpoint => WebSocketUri is null ? null : Xmpp.Client.Transport.WebSocketTransport.Describe(WebSocketUri);

    /// <summary><c>+Name=value</c>: headers of the WebSocket upgrade request. The values are secrets (internal, redacted everywhere).</summary>
    internal IReadOnlyList<KeyValuePair<string, string>> WebSocketHeaders { get; }

    /// <summary>The names of <see cref="WebSocketHeaders"/>, in the order given.</summary>
    public IReadOnlyList<string> WebSocketHeaderNames => WebSocketHeaders.Select(h => h.Key).ToList();

    /// <summary>True when a session needs contacts' presence: to answer subscriptions, apply <see cref="Offline"/>, or tell offline recipients from silent ones.</summary>
    internal bool NeedsPresence(ReceiptMode receipts) => receipts != ReceiptMode.Off || Subscribe != SubscriptionPolicy.Ignore || Offline != OfflinePolicy.Send;

    /// <summary>Query parameter names that change nothing here (unknown, or Apprise-only like <c>tz</c>, <c>xep</c>); callers may warn.</summary>
    public IReadOnlyList<string> IgnoredParameters { get; }

    /// <summary>Things worth telling the user about how the URL was read (legacy syntax, upgrades, fallbacks). Never contains the password.</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>Reads an Apprise XMPP URL. Throws <see cref="AppriseUrlException"/> naming the part that is wrong.</summary>
    public static AppriseXmppUrl Parse(string url) =>
        TryParse(url, out var plan, out var error) ? plan! : throw error!;

    public static bool TryParse(string url, out AppriseXmppUrl? plan, out AppriseUrlException? error)
    {
        var parser = new Parser(url);
        try
        {
            plan = new AppriseXmppUrl(parser.Run());
            error = null;
            return true;
        }
        catch (AppriseUrlException e)
        {
            plan = null;
            error = parser.Scrub(e);
            return false;
        }
    }

    /// <summary>
    /// Reads one target as the URL's path targets are read (after percent-decoding): <c>bob</c> (on the URL host),
    /// <c>bob@example.org</c>, <c>bob@example.org/phone</c>, <c>bob/phone</c>, <c>#room@conference.example.org</c>,
    /// <c>%23room@…</c>. For per-message <c>To</c> overrides. Throws <see cref="AppriseUrlException"/> with
    /// <see cref="AppriseUrlPart.Target"/>.
    /// </summary>
    public XmppTarget ResolveTarget(string raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        return TryResolveTarget(raw, LoginJid.Domain, out var target, out var reason)
            ? target!
            : throw new AppriseUrlException(AppriseUrlPart.Target, null, $"Invalid XMPP target '{raw.Trim()}': {reason}.");
    }

    /// <summary>Splits <paramref name="rawList"/> on commas, semicolons and whitespace and resolves each entry; duplicates are listed once.</summary>
    public IReadOnlyList<XmppTarget> ResolveTargets(string rawList, out IReadOnlyList<InvalidTarget> invalid)
    {
        ArgumentNullException.ThrowIfNull(rawList);
        var targets = new List<XmppTarget>();
        var bad = new List<InvalidTarget>();
        foreach (var entry in SplitTargetList(rawList))
        {
            if (!TryResolveTarget(entry, LoginJid.Domain, out var target, out var reason))
                bad.Add(new InvalidTarget(entry, reason!));
            else if (!targets.Contains(target!))
                targets.Add(target!);
        }
        invalid = bad;
        return targets;
    }

    /// <summary>Connection settings for <see cref="XmppClient"/>: always a fixed host and port (Apprise does no SRV lookup).</summary>
    public XmppClientOptions ToClientOptions()
    {
        var options = new XmppClientOptions(LoginJid, Password)
        {
            ConnectHost = ConnectHost,
            Port = Port,
            Security = Security,
            VerifyCertificate = Verify,
            AllowChannelBinding = ScramPlus,
            ConnectTimeout = ConnectTimeout,
            ResponseTimeout = ReadTimeout,
            SubscriptionPolicy = Subscribe,
        };
        if (Transport == UrlTransport.WebSocket)
        {
            options.WebSocketUri = WebSocketUri;
            options.DiscoverWebSocket = WebSocketUri is null;
            foreach (var header in WebSocketHeaders)
                options.WebSocketHeaders.Add(header);
        }
        return options;
    }

    /// <summary>
    /// The canonical URL: every parameter spelled out, targets percent-encoded (<c>%2F</c> for a resource, <c>%23</c>
    /// for a room). Parsing it gives an equal plan. With <paramref name="includePassword"/> false the password is
    /// <c>****</c>.
    /// </summary>
    public string ToUrl(bool includePassword)
    {
        var sb = new StringBuilder();
        sb.Append(Mode == XmppSecurityMode.None ? "xmpp" : "xmpps").Append("://");
        sb.Append(Escape(_user, keepAt: false)).Append(':');
        sb.Append(includePassword ? Escape(Password, keepAt: false) : Redacted).Append('@');
        sb.Append(LoginJid.Domain);
        if (Port != DefaultPortFor(Mode))
            sb.Append(':').Append(Port.ToString(CultureInfo.InvariantCulture));
        sb.Append('/');
        var segments = new List<string>();
        if (_targetsFromUrl)
        {
            segments.AddRange(Targets.Select(t =>
                (t.Kind == XmppTargetKind.Groupchat ? "%23" : "") + Escape(t.Jid.ToString(), keepAt: true)));
        }
        segments.AddRange(InvalidTargets.Select(t => Escape(t.Text, keepAt: true)));
        sb.AppendJoin('/', segments);

        var query = new List<KeyValuePair<string, string>>
        {
            new("mode", ModeName(Mode)),
            new("verify", YesNo(Verify)),
            new("subject", YesNo(Subject)),
            new("roster", YesNo(Roster)),
            new("keepalive", YesNo(KeepAlive)),
            new("scramplus", YesNo(ScramPlus)),
        };
        if (!string.Equals(Nick, _user, StringComparison.Ordinal))
            query.Add(new("name", Nick));
        if (!string.Equals(ConnectHost, DefaultConnectHost(LoginJid), StringComparison.Ordinal))
            query.Add(new("xmpp", ConnectHost));
        query.Add(new("format", NameOf(FormatChoices, Format)));
        query.Add(new("overflow", NameOf(OverflowChoices, Overflow)));
        query.Add(new("retry", Retry.ToString(CultureInfo.InvariantCulture)));
        query.Add(new("wait", Wait.ToString("R", CultureInfo.InvariantCulture)));
        query.Add(new("optional", YesNo(Optional)));
        query.Add(new("cto", _connectTimeoutSeconds.ToString("R", CultureInfo.InvariantCulture)));
        query.Add(new("rto", _readTimeoutSeconds.ToString("R", CultureInfo.InvariantCulture)));
        if (ReceiptsGiven)
            query.Add(new("receipts", NameOf(ReceiptChoices, Receipts)));
        if (Subscribe != SubscriptionPolicy.Ignore)
            query.Add(new("subscribe", NameOf(SubscribeChoices, Subscribe)));
        if (Offline != OfflinePolicy.Send)
            query.Add(new("offline", NameOf(OfflineChoices, Offline)));
        if (RecipientsGiven)
            query.Add(new("recipients", NameOf(RecipientChoices, Recipients)));
        if (Transport == UrlTransport.WebSocket)
        {
            query.Add(new("transport", "websocket"));
            if (WebSocketUri is not null)
                query.Add(new("wsurl", includePassword ? WebSocketUri.OriginalString : WebSocketEndpoint!));
        }
        sb.Append('?').AppendJoin('&', query.Select(p => p.Key + "=" + Escape(p.Value, keepAt: false)));
        foreach (var header in WebSocketHeaders)
            sb.Append("&+").Append(Escape(header.Key, keepAt: false)).Append('=').Append(includePassword ? Escape(header.Value, keepAt: false) : Redacted);
        return sb.ToString();
    }

    /// <summary>The canonical URL with the password replaced by <c>****</c>.</summary>
    public override string ToString() => ToUrl(includePassword: false);

    /// <summary>Writes the plan as one JSON object for a dry run. The password is never written.</summary>
    public void WriteDryRun(Utf8JsonWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject();
        w.WriteString("login_jid", LoginJid.ToString());
        w.WriteString("connect_host", ConnectHost);
        w.WriteNumber("port", Port);
        w.WriteString("mode", ModeName(Mode));
        w.WriteBoolean("verify", Verify);
        w.WriteStartArray("targets");
        foreach (var t in Targets)
        {
            w.WriteStartObject();
            w.WriteString("jid", t.Jid.ToString());
            w.WriteString("kind", t.Kind == XmppTargetKind.Groupchat ? "groupchat" : "chat");
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("invalid_targets");
        foreach (var t in InvalidTargets)
        {
            w.WriteStartObject();
            w.WriteString("text", t.Text);
            w.WriteString("reason", t.Reason);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteBoolean("subject", Subject);
        w.WriteString("nick", Nick);
        w.WriteBoolean("scramplus", ScramPlus);
        w.WriteString("format", NameOf(FormatChoices, Format));
        w.WriteString("overflow", NameOf(OverflowChoices, Overflow));
        w.WriteNumber("retry", Retry);
        w.WriteNumber("wait", Wait);
        w.WriteBoolean("optional", Optional);
        w.WriteNumber("cto", _connectTimeoutSeconds);
        w.WriteNumber("rto", _readTimeoutSeconds);
        w.WriteString("receipts", NameOf(ReceiptChoices, Receipts));
        w.WriteString("subscribe", NameOf(SubscribeChoices, Subscribe));
        w.WriteString("offline", NameOf(OfflineChoices, Offline));
        w.WriteString("recipients", NameOf(RecipientChoices, Recipients));
        w.WriteString("transport", Transport == UrlTransport.WebSocket ? "websocket" : "tcp");
        if (Transport == UrlTransport.WebSocket)
        {
            // Where the session will go: the endpoint as given (query masked), or where discovery will look.
            w.WriteString("websocket_url", WebSocketEndpoint);
            if (WebSocketUri is null)
                w.WriteString("websocket_discovery", $"https://{LoginJid.Domain}/.well-known/host-meta");
            w.WriteStartObject("websocket_headers");
            foreach (var header in WebSocketHeaders)
                w.WriteString(header.Key, Redacted);
            w.WriteEndObject();
        }
        w.WriteString("url", ToString());
        w.WriteEndObject();
    }

    /// <summary>Equal plans deliver the same way. Notes, ignored parameters and targets' source text do not count.</summary>
    public bool Equals(AppriseXmppUrl? other) =>
        other is not null
        && LoginJid.Equals(other.LoginJid)
        && string.Equals(Password, other.Password, StringComparison.Ordinal)
        && string.Equals(ConnectHost, other.ConnectHost, StringComparison.Ordinal)
        && Port == other.Port
        && Mode == other.Mode
        && Verify == other.Verify
        && Targets.SequenceEqual(other.Targets)
        && InvalidTargets.SequenceEqual(other.InvalidTargets)
        && Subject == other.Subject
        && string.Equals(Nick, other.Nick, StringComparison.Ordinal)
        && ScramPlus == other.ScramPlus
        && Roster == other.Roster
        && KeepAlive == other.KeepAlive
        && Format == other.Format
        && Overflow == other.Overflow
        && Retry == other.Retry
        && Wait.Equals(other.Wait)
        && Optional == other.Optional
        && _connectTimeoutSeconds.Equals(other._connectTimeoutSeconds)
        && _readTimeoutSeconds.Equals(other._readTimeoutSeconds)
        && Receipts == other.Receipts
        && ReceiptsGiven == other.ReceiptsGiven
        && Subscribe == other.Subscribe
        && Offline == other.Offline
        && Recipients == other.Recipients
        && RecipientsGiven == other.RecipientsGiven
        && Transport == other.Transport
        && string.Equals(WebSocketUri?.OriginalString, other.WebSocketUri?.OriginalString, StringComparison.Ordinal)
        && WebSocketHeaders.SequenceEqual(other.WebSocketHeaders);

    public override bool Equals(object? obj) => Equals(obj as AppriseXmppUrl);

    public override int GetHashCode() => HashCode.Combine(LoginJid, ConnectHost, Port, Mode, Targets.Count, Nick);

    internal static int DefaultPortFor(XmppSecurityMode mode) => mode == XmppSecurityMode.Tls ? DefaultTlsPort : DefaultPort;

    internal static string DefaultConnectHost(Jid login) =>
        login.Domain.StartsWith('[') ? login.Domain[1..^1] : login.Domain;

    internal static string ModeName(XmppSecurityMode mode) => mode switch
    {
        XmppSecurityMode.None => "none",
        XmppSecurityMode.Tls => "tls",
        _ => "starttls",
    };

    // One table per choice parameter serves both the parser and the written-back URL and dry-run. Aliases stand before
    // the spelling written back (receipts=yes before require), so the name of a value is its last entry.
    internal static readonly (string Name, NotifyFormat Value)[] FormatChoices =
        [("text", NotifyFormat.Text), ("markdown", NotifyFormat.Markdown), ("html", NotifyFormat.Html)];

    internal static readonly (string Name, OverflowMode Value)[] OverflowChoices =
        [("upstream", OverflowMode.Upstream), ("truncate", OverflowMode.Truncate), ("split", OverflowMode.Split)];

    internal static readonly (string Name, ReceiptMode Value)[] ReceiptChoices =
        [("no", ReceiptMode.Off), ("wait", ReceiptMode.Wait), ("yes", ReceiptMode.Require), ("require", ReceiptMode.Require)];

    internal static readonly (string Name, SubscriptionPolicy Value)[] SubscribeChoices =
        [("ignore", SubscriptionPolicy.Ignore), ("accept", SubscriptionPolicy.Accept), ("deny", SubscriptionPolicy.Deny)];

    internal static readonly (string Name, OfflinePolicy Value)[] OfflineChoices =
        [("send", OfflinePolicy.Send), ("skip", OfflinePolicy.Skip), ("fail", OfflinePolicy.Fail)];

    internal static readonly (string Name, RecipientPolicy Value)[] RecipientChoices =
        [("any", RecipientPolicy.Any), ("url", RecipientPolicy.Url), ("domain", RecipientPolicy.Domain)];

    internal static string NameOf<T>((string Name, T Value)[] choices, T value)
        where T : struct, Enum =>
        Array.FindLast(choices, c => EqualityComparer<T>.Default.Equals(c.Value, value)).Name
        ?? throw new ArgumentOutOfRangeException(nameof(value), value, "no spelling for this value");

    private static string YesNo(bool value) => value ? "yes" : "no";

    // Percent-encodes all but RFC 3986 unreserved characters (and '@' in targets, where it is unambiguous because
    // the authority has already ended), so '/', '#', '?', ':', ',', ';' and '%' always survive a round trip.
    private static string Escape(string value, bool keepAt)
    {
        var sb = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (b < 0x80 && (char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' || (keepAt && c == '@')))
                sb.Append(c);
            else
                sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }
}
