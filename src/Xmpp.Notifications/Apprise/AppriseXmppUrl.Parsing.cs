using System.Globalization;
using System.Net.Sockets;
using System.Net;
using System.Text.RegularExpressions;
using Xmpp.Client;

namespace Xmpp.Notifications.Apprise;

public sealed partial class AppriseXmppUrl
{
    // Parameters that mean something to this plan.
    private static readonly HashSet<string> KnownParameters = new(StringComparer.Ordinal)
    {
        "to", "mode", "verify", "subject", "roster", "keepalive", "scramplus", "name", "xmpp",
        "format", "overflow", "retry", "wait", "optional", "cto", "rto", "user", "password", "pass", "port",
        "receipts", "subscribe", "offline", "transport", "wsurl", "recipients",
    };

    // Apprise's parse_bool() looks at the first two characters only.
    private static readonly HashSet<string> FalsePrefixes = new(StringComparer.Ordinal) { "de", "di", "ne", "f", "n", "no", "of", "0", "fa" };
    private static readonly HashSet<string> TruePrefixes = new(StringComparer.Ordinal) { "en", "al", "t", "y", "ye", "on", "1", "tr" };

    private static readonly char[] ListSeparators = [',', ';', ' ', '\t', '\r', '\n', '\f', '\v'];

    [GeneratedRegex("^[A-Za-z0-9_]+$", RegexOptions.CultureInvariant)]
    private static partial Regex NicknamePattern();

    /// <summary>Apprise splits target lists on commas, semicolons and whitespace.</summary>
    internal static IEnumerable<string> SplitTargetList(string text) =>
        text.Split(ListSeparators, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The text before and after the separator at <paramref name="at"/>; all of it and null when there is none (-1).</summary>
    private static (string Head, string? Tail) Cut(string text, int at) => at < 0 ? (text, null) : (text[..at], text[(at + 1)..]);

    /// <summary>
    /// Apprise's target grammar: an optional room prefix (<c>#</c> or a literal <c>%23</c>), a name, an optional
    /// <c>@domain</c> (else <paramref name="defaultDomain"/>, the URL host), an optional <c>/resource</c>.
    /// Unlike Apprise, the resource keeps any further '/' (RFC 7622) instead of being cut at the second one.
    /// </summary>
    internal static bool TryResolveTarget(string raw, string defaultDomain, out XmppTarget? target, out string? reason)
    {
        target = null;
        reason = null;
        var text = raw.Trim();
        var kind = XmppTargetKind.Chat;
        if (text.StartsWith('#'))
        {
            kind = XmppTargetKind.Groupchat;
            text = text[1..];
        }
        else if (text.StartsWith("%23", StringComparison.OrdinalIgnoreCase))
        {
            kind = XmppTargetKind.Groupchat;
            text = text[3..];
        }

        if (text.Length == 0)
        {
            reason = kind == XmppTargetKind.Groupchat ? "a room needs a name after '#'" : "the target is empty";
            return false;
        }
        if (text.Any(char.IsWhiteSpace))
        {
            reason = "a target may not contain whitespace";
            return false;
        }

        var (head, resource) = Cut(text, text.IndexOf('/', StringComparison.Ordinal));
        var at = head.IndexOf('@', StringComparison.Ordinal);
        if (at != head.LastIndexOf('@'))
        {
            reason = "a target may contain only one '@'";
            return false;
        }
        var (local, ownDomain) = Cut(head, at);
        var domain = ownDomain ?? defaultDomain;
        if (local.Length == 0)
        {
            reason = "the name before '@' is empty";
            return false;
        }
        if (domain.Length == 0)
        {
            reason = "the domain after '@' is empty";
            return false;
        }
        if (resource is not null && resource.Length == 0)
        {
            reason = "the resource after '/' is empty";
            return false;
        }
        if (kind == XmppTargetKind.Groupchat && resource is not null)
        {
            // A room JID with a resource addresses one occupant, not the room; the nickname comes from name=.
            reason = "a room address cannot have a '/resource' (the nickname is set with name=)";
            return false;
        }

        try
        {
            target = new XmppTarget(Jid.Create(local, domain, resource), kind, raw.Trim());
            return true;
        }
        catch (JidFormatException e)
        {
            reason = e.Reason;
            return false;
        }
    }

    private static string Decode(string text) => Uri.UnescapeDataString(text);

    private static bool HasControlCharacters(string text) => text.Any(char.IsControl);

    private sealed class Draft
    {
        public string User { get; set; } = "";
        public Jid LoginJid { get; set; } = null!;
        public string Password { get; set; } = "";
        public string ConnectHost { get; set; } = "";
        public int Port { get; set; }
        public XmppSecurityMode Mode { get; set; }
        public bool Verify { get; set; }
        public List<XmppTarget> Targets { get; } = [];
        public List<InvalidTarget> InvalidTargets { get; } = [];
        public bool TargetsFromUrl { get; set; }
        public bool Subject { get; set; }
        public string Nick { get; set; } = "";
        public bool ScramPlus { get; set; }
        public bool Roster { get; set; }
        public bool KeepAlive { get; set; }
        public NotifyFormat Format { get; set; } = NotifyFormat.Text;
        public OverflowMode Overflow { get; set; } = OverflowMode.Upstream;
        public int Retry { get; set; }
        public double Wait { get; set; } = DefaultWaitSeconds;
        public bool Optional { get; set; }
        public double ConnectTimeoutSeconds { get; set; } = DefaultTimeoutSeconds;
        public double ReadTimeoutSeconds { get; set; } = DefaultTimeoutSeconds;
        public ReceiptMode Receipts { get; set; }
        public bool ReceiptsGiven { get; set; }
        public SubscriptionPolicy Subscribe { get; set; }
        public OfflinePolicy Offline { get; set; }
        public RecipientPolicy Recipients { get; set; }
        public bool RecipientsGiven { get; set; }
        public UrlTransport Transport { get; set; }
        public Uri? WebSocketUri { get; set; }
        public List<KeyValuePair<string, string>> WebSocketHeaders { get; } = [];
        public List<string> IgnoredParameters { get; } = [];
        public List<string> Notes { get; } = [];
    }

    /// <summary>
    /// Reads the URL by hand: '#' is an ordinary character in Apprise URLs (Apprise itself turns "/#" into "/%23"
    /// before parsing), so <see cref="System.Uri"/> would cut rooms and passwords off as a fragment.
    /// </summary>
    private sealed class Parser(string? url)
    {
        private readonly List<string> _secrets = [];
        private readonly Dictionary<string, string> _parameters = new(StringComparer.Ordinal);
        private readonly List<string> _toValues = [];

        /// <summary>
        /// Masks a quoted value of the message that is one of the URL's secrets. Only whole quoted values are
        /// compared: replacing the secret wherever its characters occur would show where a short password matched
        /// the message's own words ('m****de' for the password "o"), which tells the password.
        /// </summary>
        public AppriseUrlException Scrub(AppriseUrlException e)
        {
            // Stryker disable once Equality : no message quotes an empty value (values are trimmed, empty ones mean the default)
            var secrets = _secrets.Where(s => s.Length > 0).ToHashSet(StringComparer.Ordinal);
            if (secrets.Count == 0)
                return e;
            var parts = e.Message.Split('\'');
            // Odd-numbered parts are the quoted values: the parser quotes what it echoes with single quotes.
            // Stryker disable once Equality : the last part follows the last quote, so it is never a quoted value
            for (var i = 1; i < parts.Length - 1; i += 2)
            {
                // The parameter's name is the parser's own word, known from the message's part; never mask it.
                if (secrets.Contains(parts[i]) && !string.Equals(parts[i], e.ParameterName, StringComparison.Ordinal))
                    parts[i] = Redacted;
            }
            return new AppriseUrlException(e.Part, e.ParameterName, string.Join('\'', parts));
        }

        public Draft Run()
        {
            var d = new Draft();
            var text = url?.Trim() ?? "";
            if (text.Length == 0)
                throw Fail(AppriseUrlPart.Scheme, "the URL is empty");

            var schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
            if (schemeEnd <= 0)
                throw Fail(AppriseUrlPart.Scheme, "it does not start with xmpp:// or xmpps://");
            var scheme = text[..schemeEnd].ToLowerInvariant();
            if (scheme is not ("xmpp" or "xmpps"))
                throw Fail(AppriseUrlPart.Scheme, $"the scheme '{scheme}' is not xmpp or xmpps");
            var secureScheme = scheme == "xmpps";
            var rest = text[(schemeEnd + 3)..];

            var (beforeQuery, afterQuestion) = Cut(rest, rest.IndexOf('?', StringComparison.Ordinal));
            var query = afterQuestion ?? "";
            var (authority, afterSlash) = Cut(beforeQuery, beforeQuery.IndexOf('/', StringComparison.Ordinal));
            var path = afterSlash ?? "";

            string userRaw;
            string? passwordRaw;
            string hostPort;
            var at = authority.LastIndexOf('@');
            if (at >= 0)
            {
                var userInfo = authority[..at];
                hostPort = authority[(at + 1)..];
                (userRaw, passwordRaw) = Cut(userInfo, userInfo.IndexOf(':', StringComparison.Ordinal));
            }
            else if (authority.Length > 0 && !authority.Contains(':', StringComparison.Ordinal) && FirstSegment(path).Contains('@', StringComparison.Ordinal))
            {
                // Older Apprise documentation wrote xmpp://user/password@host[/jid…].
                var (segment, after) = Cut(path, path.IndexOf('/', StringComparison.Ordinal));
                var segmentAt = segment.LastIndexOf('@');
                userRaw = authority;
                passwordRaw = segment[..segmentAt];
                hostPort = segment[(segmentAt + 1)..];
                path = after ?? "";
                d.Notes.Add("The legacy form xmpp://user/password@host was read as xmpp://user:password@host.");
            }
            else
            {
                throw Fail(AppriseUrlPart.User,
                    "there is no 'user:password@' before the host (a '/', '?' or '#' in the password must be written %2F, %3F, %23)");
            }

            if (passwordRaw is not null)
            {
                _secrets.Add(passwordRaw);
                _secrets.Add(Decode(passwordRaw));
            }

            ReadQuery(query, d);

            // Apprise lets user=, password=/pass= and port= in the query replace the URL's own.
            var user = _parameters.TryGetValue("user", out var userOverride) && userOverride.Length > 0 ? userOverride : Decode(userRaw);
            var password = passwordRaw is null ? null : Decode(passwordRaw);
            if (_parameters.TryGetValue("password", out var pw) && pw.Length > 0)
                password = pw;
            else if (_parameters.TryGetValue("pass", out var pass) && pass.Length > 0)
                password = pass;

            if (user.Length == 0)
                throw Fail(AppriseUrlPart.User, "the user name is missing (expected xmpp://user:password@host)");
            var (host, port) = ReadHostPort(hostPort);
            if (_parameters.TryGetValue("port", out var portParameter) && portParameter.Length > 0)
                port = ReadPort(portParameter, "port");
            user = StripOwnDomain(user, host);
            if (HasControlCharacters(user))
                throw Fail(AppriseUrlPart.User, "the user name contains control characters");
            if (string.IsNullOrEmpty(password))
                throw Fail(AppriseUrlPart.Password, "the password is missing (expected xmpp://user:password@host)");
            if (HasControlCharacters(password))
                throw Fail(AppriseUrlPart.Password, "the password contains control characters");

            try
            {
                d.LoginJid = Jid.Create(user, host);
            }
            catch (JidFormatException e) when (e.Part == JidPart.Local)
            {
                throw Fail(AppriseUrlPart.User, $"the user name is not a valid JID localpart: {e.Reason} (the login JID is always user@host; use xmpp= for a different server)");
            }
            catch (JidFormatException e)
            {
                throw Fail(AppriseUrlPart.Host, $"the host '{host}' is not a valid domain: {e.Reason}");
            }

            d.User = user;
            d.Password = password;
            d.Mode = ReadMode(secureScheme, d);
            d.Port = port ?? DefaultPortFor(d.Mode);
            d.ConnectHost = ReadConnectHost(d.LoginJid);
            d.Verify = ReadBool("verify", true);
            d.Subject = ReadBool("subject", false);
            d.Roster = ReadBool("roster", false);
            d.KeepAlive = ReadBool("keepalive", false);
            if (d.KeepAlive)
                d.Notes.Add("keepalive=yes has no effect: each invocation opens and closes its own connection.");
            d.ScramPlus = ReadBool("scramplus", true);
            d.Optional = ReadBool("optional", false);
            d.Nick = ReadNick(user, d);
            d.Format = ReadChoice("format", NotifyFormat.Text, FormatChoices);
            d.Overflow = ReadChoice("overflow", OverflowMode.Upstream, OverflowChoices);
            d.Retry = ReadRetry();
            d.Wait = ReadSeconds("wait", DefaultWaitSeconds, 0.0, MaxWaitSeconds, allowZero: true);
            d.ConnectTimeoutSeconds = ReadSeconds("cto", DefaultTimeoutSeconds, 0.0, MaxTimeoutSeconds, allowZero: false);
            d.ReadTimeoutSeconds = ReadSeconds("rto", DefaultTimeoutSeconds, 0.0, MaxTimeoutSeconds, allowZero: false);

            d.ReceiptsGiven = _parameters.TryGetValue("receipts", out var receipts) && receipts.Length > 0;
            d.Receipts = ReadChoice("receipts", ReceiptMode.Off, ReceiptChoices);
            d.Subscribe = ReadChoice("subscribe", SubscriptionPolicy.Ignore, SubscribeChoices);
            d.Offline = ReadChoice("offline", OfflinePolicy.Send, OfflineChoices);
            d.RecipientsGiven = _parameters.TryGetValue("recipients", out var recipients) && recipients.Length > 0;
            d.Recipients = ReadChoice("recipients", RecipientPolicy.Any, RecipientChoices);

            ReadTransport(d, port is not null || (_parameters.TryGetValue("xmpp", out var xmppHost) && xmppHost.Length > 0));

            ReadTargets(path, d);
            return d;
        }

        // Apprise's own url() writes the user as the full JID (user%40host); accept that when the domain is the
        // URL host, so URLs Apprise printed parse here. Another domain would change the login JID: refuse it.
        private static string StripOwnDomain(string user, string host)
        {
            var at = user.LastIndexOf('@');
            if (at < 0)
                return user;
            var local = user[..at];
            var sameDomain = local.Length > 0
                && Jid.TryParse(user[(at + 1)..], out var domainJid) && domainJid!.Local is null && domainJid.Resource is null
                && Jid.TryParse(host, out var hostJid) && hostJid!.Local is null
                && string.Equals(domainJid.Domain, hostJid.Domain, StringComparison.Ordinal);
            return sameDomain
                ? local
                : throw Fail(AppriseUrlPart.User,
                    "the user name contains '@' with a domain other than the host; the login JID is always user@host (put the account's domain in the host and the server in xmpp=)");
        }

        private static string FirstSegment(string path) => Cut(path, path.IndexOf('/', StringComparison.Ordinal)).Head;

        private void ReadQuery(string query, Draft d)
        {
            // Apprise separates parameters with '&' and ';', lower-cases names, trims values, and keeps '+' as '+'.
            foreach (var pair in query.Split('&', ';'))
            {
                var (rawName, rawValue) = Cut(pair, pair.IndexOf('=', StringComparison.Ordinal));
                var givenName = Decode(rawName).Trim();
                var name = givenName.ToLowerInvariant();
                var value = Decode(rawValue ?? "").Trim();
                if (name.Length == 0)
                    continue;
                if (name.StartsWith('+'))
                {
                    // Apprise's convention for HTTP plugins: +Name=value adds a header; the name keeps its case.
                    ReadHeader(givenName[1..], value, d);
                    continue;
                }
                if (name is "password" or "pass")
                    _secrets.Add(value);

                if (name == "to")
                {
                    _toValues.Add(value);
                }
                else if (KnownParameters.Contains(name))
                {
                    if (_parameters.ContainsKey(name))
                        d.Notes.Add($"'{name}=' is given more than once; the last one counts.");
                    _parameters[name] = value;
                }
                else if (!d.IgnoredParameters.Contains(name))
                {
                    d.IgnoredParameters.Add(name);
                    if (name is "xep" or "jid")
                        d.Notes.Add($"'{name}=' is from older Apprise versions and is ignored.");
                }
            }
        }

        private void ReadHeader(string name, string value, Draft d)
        {
            // Header values authenticate the upgrade: they are secrets from here on, like the password.
            _secrets.Add(value);
            try
            {
                Xmpp.Client.Transport.WebSocketTransport.CheckHeaderName(name);
            }
            catch (ArgumentException e)
            {
                throw FailParameter("+" + name, e.Message.Split(" (Parameter", 2)[0].TrimEnd('.'));
            }
            if (value.Length == 0)
                throw FailParameter("+" + name, "the header has no value");
            if (value.Any(c => char.IsControl(c) && c != '\t'))
                throw FailParameter("+" + name, "the header value contains control characters");
            var index = d.WebSocketHeaders.FindIndex(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase));
            if (index >= 0)
            {
                d.Notes.Add($"The header '{name}' is given more than once; the last one counts.");
                d.WebSocketHeaders.RemoveAt(index);
            }
            d.WebSocketHeaders.Add(new(name, value));
        }

        private void ReadTransport(Draft d, bool tcpEndpointGiven)
        {
            var explicitTransport = _parameters.TryGetValue("transport", out var t) && t.Length > 0;
            d.Transport = ReadChoice("transport", UrlTransport.Tcp, [("tcp", UrlTransport.Tcp), ("websocket", UrlTransport.WebSocket), ("ws", UrlTransport.WebSocket)]);
            if (_parameters.TryGetValue("wsurl", out var wsurl) && wsurl.Length > 0)
            {
                if (explicitTransport && d.Transport == UrlTransport.Tcp)
                    throw FailParameter("wsurl", "a WebSocket endpoint was given with transport=tcp");
                d.Transport = UrlTransport.WebSocket;
                if (!Uri.TryCreate(wsurl, UriKind.Absolute, out var uri) || uri.Scheme is not ("ws" or "wss"))
                    throw FailParameter("wsurl", "it is not an absolute ws:// or wss:// address (percent-encode it: wsurl=wss%3A%2F%2Fhost%2Fxmpp-websocket)");
                // Stryker disable Equality,Statement : defensive: no error raised after these lines quotes the query or the user info
                if (uri.Query.Length > 1)
                    _secrets.Add(uri.Query[1..]);
                if (!string.IsNullOrEmpty(uri.UserInfo))
                {
                    _secrets.Add(uri.UserInfo);
                    // Stryker restore Equality,Statement
                    throw FailParameter("wsurl", "the address may not contain user:password@; send credentials as a header (+Authorization=…)");
                }
                if (!string.IsNullOrEmpty(uri.Fragment))
                    throw FailParameter("wsurl", "the address may not contain a '#fragment'");
                if (uri.Scheme == "ws" && d.Mode != XmppSecurityMode.None)
                    throw FailParameter("wsurl", $"ws:// is unencrypted but the URL asks for {ModeName(d.Mode)}; use wss:// (or xmpp://…?mode=none for a trusted network)");
                d.WebSocketUri = uri;
            }
            if (d.Transport == UrlTransport.Tcp && d.WebSocketHeaders.Count > 0)
                throw FailParameter("+" + d.WebSocketHeaders[0].Key, "HTTP headers apply only to the WebSocket transport (transport=websocket or wsurl=)");
            if (d.Transport == UrlTransport.WebSocket)
            {
                if (tcpEndpointGiven)
                    d.Notes.Add("The port and xmpp= do not apply to the WebSocket transport; the endpoint comes from wsurl= or the domain's host-meta.");
                if (d.Mode == XmppSecurityMode.Tls)
                    d.Notes.Add("mode=tls over WebSocket means wss://, as mode=starttls does.");
            }
        }

        private static (string Host, int? Port) ReadHostPort(string hostPort)
        {
            string hostText;
            string? portText = null;
            if (hostPort.StartsWith('['))
            {
                var close = hostPort.IndexOf(']', StringComparison.Ordinal);
                // Stryker disable once Equality : the '[' is at 0, so a ']' is never there
                if (close < 0)
                    throw Fail(AppriseUrlPart.Host, "the IPv6 address has no closing ']'");
                hostText = hostPort[..(close + 1)];
                var after = hostPort[(close + 1)..];
                if (after.Length > 0)
                {
                    if (!after.StartsWith(':'))
                        throw Fail(AppriseUrlPart.Host, "only ':port' may follow the bracketed IPv6 address");
                    portText = after[1..];
                }
            }
            else
            {
                (hostText, portText) = Cut(hostPort, hostPort.IndexOf(':', StringComparison.Ordinal));
                if (portText is not null && portText.Contains(':', StringComparison.Ordinal))
                    throw Fail(AppriseUrlPart.Host, "the host has more than one ':' (write IPv6 addresses in brackets)");
            }

            var host = Decode(hostText);
            if (host.Length == 0)
                throw Fail(AppriseUrlPart.Host, "the host is missing");
            return (host, portText is null ? null : ReadPort(portText, null));
        }

        private static AppriseUrlException FailPort(string? parameter, string reason) =>
            new(AppriseUrlPart.Port, parameter, $"Invalid Apprise XMPP URL: {reason}.");

        private static int ReadPort(string text, string? parameter)
        {
            if (text.Length == 0)
                throw FailPort(parameter, "the port after ':' is empty");
            // NumberStyles.None: ASCII digits only, no sign, no white space.
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
                throw FailPort(parameter, $"the port '{text}' is not a number from 1 to 65535");
            return port;
        }

        private XmppSecurityMode ReadMode(bool secureScheme, Draft d)
        {
            var mode = secureScheme ? XmppSecurityMode.StartTls : XmppSecurityMode.None;
            if (!_parameters.TryGetValue("mode", out var value) || value.Length == 0)
                return mode;

            // Apprise prefix-matches against its modes in this order, so 't' is tls and 's' is starttls.
            var lower = value.ToLowerInvariant();
            string[] names = ["starttls", "tls", "none"];
            var match = names.FirstOrDefault(n => n.StartsWith(lower, StringComparison.Ordinal))
                ?? throw FailParameter("mode", $"'{value}' is not none, starttls or tls");
            mode = match switch
            {
                "tls" => XmppSecurityMode.Tls,
                "starttls" => XmppSecurityMode.StartTls,
                _ => XmppSecurityMode.None,
            };
            if (secureScheme && mode == XmppSecurityMode.None)
            {
                d.Notes.Add("xmpps:// with mode=none: the secure scheme wins and STARTTLS is used, as in Apprise.");
                mode = XmppSecurityMode.StartTls;
            }
            return mode;
        }

        private string ReadConnectHost(Jid login)
        {
            if (!_parameters.TryGetValue("xmpp", out var value) || value.Length == 0)
                return DefaultConnectHost(login);
            var bare = value.StartsWith('[') && value.EndsWith(']') ? value[1..^1] : value;
            if (bare.Contains(':', StringComparison.Ordinal))
            {
                return IPAddress.TryParse(bare, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6
                    ? ip.ToString()
                    : throw FailParameter("xmpp", $"'{value}' is not a host name or IP address (a port goes in the URL, not in xmpp=)");
            }
            return Jid.TryParse(bare, out var jid) && jid!.Local is null && jid.Resource is null
                ? jid.Domain
                : throw FailParameter("xmpp", $"'{value}' is not a host name or IP address");
        }

        private bool ReadBool(string name, bool fallback)
        {
            if (!_parameters.TryGetValue(name, out var value) || value.Length == 0)
                return fallback;
            var lower = value.ToLowerInvariant();
            var prefix = lower[..Math.Min(lower.Length, 2)];
            if (FalsePrefixes.Contains(prefix))
                return false;
            if (TruePrefixes.Contains(prefix))
                return true;
            throw FailParameter(name, $"'{value}' is not yes or no");
        }

        private string ReadNick(string user, Draft d)
        {
            if (!_parameters.TryGetValue("name", out var value) || value.Length == 0)
                return user;
            if (NicknamePattern().IsMatch(value))
                return value;
            d.Notes.Add($"name='{value}' may contain only letters, digits and '_'; the user name is the nickname instead, as in Apprise.");
            return user;
        }

        private T ReadChoice<T>(string name, T fallback, (string Name, T Value)[] choices)
        {
            if (!_parameters.TryGetValue(name, out var value) || value.Length == 0)
                return fallback;
            var lower = value.ToLowerInvariant();
            foreach (var choice in choices)
            {
                if (choice.Name == lower)
                    return choice.Value;
            }
            throw FailParameter(name, $"'{value}' is not one of {string.Join(", ", choices.Select(c => c.Name))}");
        }

        private int ReadRetry()
        {
            if (!_parameters.TryGetValue("retry", out var value) || value.Length == 0)
                return 0;
            return int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var retry) && retry is >= 0 and <= MaxRetry
                ? retry
                : throw FailParameter("retry", $"'{value}' is not a whole number from 0 to {MaxRetry}");
        }

        private double ReadSeconds(string name, double fallback, double min, double max, bool allowZero)
        {
            if (!_parameters.TryGetValue(name, out var value) || value.Length == 0)
                return fallback;
            var ok = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
                && double.IsFinite(seconds) && seconds >= min && seconds <= max && (allowZero || seconds > 0);
            return ok
                ? seconds
                : throw FailParameter(name, allowZero
                    ? $"'{value}' is not a number of seconds from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}"
                    : $"'{value}' is not a positive number of seconds (at most {max.ToString(CultureInfo.InvariantCulture)})");
        }

        private void ReadTargets(string path, Draft d)
        {
            var domain = d.LoginJid.Domain;
            // Split on '/' first and decode after, so an encoded %2F stays inside its target as the resource separator.
            var entries = path.Split('/', StringSplitOptions.RemoveEmptyEntries)
                .SelectMany(segment => SplitTargetList(Decode(segment)))
                .Concat(_toValues.SelectMany(SplitTargetList));
            foreach (var entry in entries)
            {
                d.TargetsFromUrl = true;
                if (!TryResolveTarget(entry, domain, out var target, out var reason))
                {
                    d.InvalidTargets.Add(new InvalidTarget(entry, reason!));
                    continue;
                }
                if (d.Targets.Contains(target!))
                {
                    d.Notes.Add($"The target '{target}' is listed more than once; it gets one message.");
                    continue;
                }
                if (target!.Kind == XmppTargetKind.Groupchat && !entry.Contains('@', StringComparison.Ordinal))
                    d.Notes.Add($"The room '{entry}' has no domain; it was read as '{target.Jid}' as Apprise does (MUC services usually live on a conference.* host).");
                d.Targets.Add(target);
            }

            if (!d.TargetsFromUrl)
                d.Targets.Add(new XmppTarget(d.LoginJid, XmppTargetKind.Chat, d.LoginJid.ToString()));
        }

        private static AppriseUrlException FailParameter(string name, string reason) =>
            new(AppriseUrlPart.Parameter, name, $"Invalid Apprise XMPP URL: parameter '{name}': {reason}.");

        private static AppriseUrlException Fail(AppriseUrlPart part, string reason) =>
            new(part, null, $"Invalid Apprise XMPP URL ({part.ToString().ToLowerInvariant()}): {reason}.");
    }
}
