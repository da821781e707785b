using Xmpp.Client;
using Xmpp.Notifications.Apprise;

namespace Xmpp.Notifications.Tests.Apprise;

/// <summary>
/// Every URL example from Apprise's XMPP documentation (appriseit.com/services/xmpp, i.e. caronc/apprise-docs
/// src/content/docs/services/xmpp) and from Apprise 1.13's tests/test_plugin_xmpp.py, each with the full plan we
/// expect. Where we differ from what Apprise 1.13 actually does, the comment says so and why.
/// </summary>
public sealed class AppriseXmppUrlConformanceTests
{
    /// <summary>A full expected plan; defaults are Apprise's defaults for an xmpps:// URL on example.ca.</summary>
    public sealed record Expected
    {
        public string Login { get; init; } = "user@example.ca";
        public string Password { get; init; } = "pass";
        public string? ConnectHost { get; init; }
        public int Port { get; init; } = 5222;
        public XmppSecurityMode Mode { get; init; } = XmppSecurityMode.StartTls;
        public bool Verify { get; init; } = true;

        /// <summary>"jid" for chat, "#jid" for groupchat; null means the sender itself.</summary>
        public string[]? Targets { get; init; }
        public string[] Invalid { get; init; } = [];
        public bool Subject { get; init; }
        public string? Nick { get; init; }
        public bool ScramPlus { get; init; } = true;
        public bool Roster { get; init; }
        public bool KeepAlive { get; init; }
        public NotifyFormat Format { get; init; } = NotifyFormat.Text;
        public OverflowMode Overflow { get; init; } = OverflowMode.Upstream;
        public int Retry { get; init; }
        public double Wait { get; init; } = 0.5;
        public bool Optional { get; init; }
        public double Cto { get; init; } = 4.0;
        public double Rto { get; init; } = 4.0;
        public string[] Ignored { get; init; } = [];
        public ReceiptMode Receipts { get; init; } = ReceiptMode.Off;
        public SubscriptionPolicy Subscribe { get; init; } = SubscriptionPolicy.Ignore;
        public OfflinePolicy Offline { get; init; } = OfflinePolicy.Send;
        public RecipientPolicy Recipients { get; init; } = RecipientPolicy.Any;
        public UrlTransport Transport { get; init; } = UrlTransport.Tcp;

        /// <summary>The explicit WebSocket endpoint as written; null means discovery (or TCP).</summary>
        public string? WsUrl { get; init; }

        /// <summary>WebSocket upgrade headers as "Name=value".</summary>
        public string[] Headers { get; init; } = [];
    }

    private static readonly Expected Ca = new();
    private static readonly Expected Chat = new() { Login = "user@chat.example.com", Password = "password" };
    private static readonly Expected Me = new() { Login = "me@example.com", Password = "pass" };
    private static readonly Expected MeSecret = new() { Login = "me@example.com", Password = "secret", Mode = XmppSecurityMode.None };

    internal static readonly Dictionary<string, (string Url, Expected Plan)> Cases = new()
    {
        // --- apprise-docs services/xmpp: "Syntax" list (placeholders filled in) ---
        ["doc-syntax-plain"] = ("xmpp://user:pass@example.ca", Ca with { Mode = XmppSecurityMode.None }),
        ["doc-syntax-secure"] = ("xmpps://user:pass@example.ca", Ca),
        // The docs' table says 5223 for xmpps; Apprise 1.13 code uses 5222 (STARTTLS) for xmpps and so do we.
        ["doc-syntax-port"] = ("xmpp://user:pass@example.ca:5269", Ca with { Mode = XmppSecurityMode.None, Port = 5269 }),
        ["doc-syntax-jid"] = ("xmpp://user:pass@example.ca/jane", Ca with { Mode = XmppSecurityMode.None, Targets = ["jane@example.ca"] }),
        ["doc-syntax-jid2"] = ("xmpp://user:pass@example.ca/jane/joe", Ca with { Mode = XmppSecurityMode.None, Targets = ["jane@example.ca", "joe@example.ca"] }),
        ["doc-syntax-verify"] = ("xmpps://user:pass@example.ca/jane?verify=no", Ca with { Verify = false, Targets = ["jane@example.ca"] }),
        ["doc-syntax-xmpp"] = ("xmpps://user:pass@example.ca/jane?xmpp=xmpp.example.ca", Ca with { ConnectHost = "xmpp.example.ca", Targets = ["jane@example.ca"] }),
        // --- apprise-docs front matter sample_urls ---
        ["doc-sample-jidN"] = ("xmpps://user:pass@example.ca/jid1/jid2/jidN", Ca with { Targets = ["jid1@example.ca", "jid2@example.ca", "jidn@example.ca"] }),
        ["doc-sample-room"] = ("xmpps://user:pass@example.ca/#room@conference.example.ca", Ca with { Targets = ["#room@conference.example.ca"] }),
        // --- apprise-docs "Multi-User Chat (MUC) Rooms" ---
        ["doc-muc-two-rooms"] = ("xmpps://user:pass@example.ca/#room1@conference.ca/#room2@conference.ca", Ca with { Targets = ["#room1@conference.ca", "#room2@conference.ca"] }),
        ["doc-muc-mixed"] = ("xmpps://user:pass@example.ca/#room@conference.ca/jane", Ca with { Targets = ["#room@conference.ca", "jane@example.ca"] }),
        // --- apprise-docs "JID Assembly" table (row by row) ---
        ["doc-jid-self"] = ("xmpps://user:pass@example.ca", Ca),
        ["doc-jid-jane"] = ("xmpps://user:pass@example.ca/jane", Ca with { Targets = ["jane@example.ca"] }),
        ["doc-jid-jane-joe"] = ("xmpps://user:pass@example.ca/jane/joe", Ca with { Targets = ["jane@example.ca", "joe@example.ca"] }),
        ["doc-jid-foreign"] = ("xmpps://user:pass@example.ca/jane@foobar.ca", Ca with { Targets = ["jane@foobar.ca"] }),
        // Apprise 1.13 actually turns %2F into a path separator here (two targets: jason, mobile); the docs and our
        // parser treat it as the resource separator.
        ["doc-jid-resource"] = ("xmpps://user:pass@example.ca/jason%2Fmobile", Ca with { Targets = ["jason@example.ca/mobile"] }),
        ["doc-jid-foreign-resource"] = ("xmpps://user:pass@example.ca/jane@foobar.ca%2Fworkstation", Ca with { Targets = ["jane@foobar.ca/workstation"] }),
        ["doc-jid-room"] = ("xmpps://user:pass@example.ca/#general@conference.example.ca", Ca with { Targets = ["#general@conference.example.ca"] }),
        ["doc-jid-room-jane"] = ("xmpps://user:pass@example.ca/#general@conference.example.ca/jane", Ca with { Targets = ["#general@conference.example.ca", "jane@example.ca"] }),
        ["doc-jid-two-rooms"] = ("xmpps://user:pass@example.ca/#room1@conference.ca/#room2@conference.ca", Ca with { Targets = ["#room1@conference.ca", "#room2@conference.ca"] }),
        // --- apprise-docs "Examples" ---
        ["doc-ex-plain"] = ("xmpp://user:password@localhost", new Expected { Login = "user@localhost", Password = "password", Mode = XmppSecurityMode.None }),
        ["doc-ex-starttls"] = ("xmpp://user:password@localhost?mode=starttls", new Expected { Login = "user@localhost", Password = "password" }),
        // The docs call this "direct TLS"; Apprise 1.13 (and we) use STARTTLS on 5222 for xmpps://.
        ["doc-ex-xmpps"] = ("xmpps://user:password@chat.example.com", Chat),
        ["doc-ex-recipient"] = ("xmpps://user:password@chat.example.com/alice@example.net", Chat with { Targets = ["alice@example.net"] }),
        ["doc-ex-to-list"] = ("xmpps://user:password@chat.example.com?to=alice@example.net,bob@example.org", Chat with { Targets = ["alice@example.net", "bob@example.org"] }),
        ["doc-ex-noverify"] = ("xmpps://user:password@chat.example.com/alice@example.net?verify=no", Chat with { Verify = false, Targets = ["alice@example.net"] }),
        ["doc-ex-to-resource"] = ("xmpps://user:password@chat.example.com/?to=alice@example.net/mobile", Chat with { Targets = ["alice@example.net/mobile"] }),
        ["doc-ex-room"] = ("xmpps://user:password@chat.example.com/#general@conference.example.com", Chat with { Targets = ["#general@conference.example.com"] }),
        ["doc-ex-rooms-user"] = ("xmpps://user:password@chat.example.com/#ops@conference.example.com/#dev@conference.example.com/alice@example.com",
            Chat with { Targets = ["#ops@conference.example.com", "#dev@conference.example.com", "alice@example.com"] }),
        ["doc-ex-to-room"] = ("xmpps://user:password@chat.example.com?to=#general@conference.example.com", Chat with { Targets = ["#general@conference.example.com"] }),
        ["doc-keepalive"] = ("xmpps://user:password@chat.example.com?keepalive=yes", Chat with { KeepAlive = true }),

        // --- Apprise tests/test_plugin_xmpp.py ---
        // test_xmpp_parse_url
        ["test-parse-url"] = ("xmpps://me:pass@example.com/a@example.com?verify=no", Me with { Verify = false, Targets = ["a@example.com"] }),
        // test_xmpp_parse_url_to
        ["test-parse-url-to"] = ("xmpp://me:pass@example.com?to=a@example.com,b@example.net", Me with { Mode = XmppSecurityMode.None, Targets = ["a@example.com", "b@example.net"] }),
        // test_xmpp_url_handling
        ["test-handling-verify"] = ("xmpp://me:secret@example.com?verify=no", MeSecret with { Verify = false }),
        ["test-handling-tls"] = ("xmpps://me:secret@example.com?mode=tls", MeSecret with { Mode = XmppSecurityMode.Tls, Port = 5223 }),
        ["test-handling-none-upgraded"] = ("xmpps://me:secret@example.com?mode=none", MeSecret with { Mode = XmppSecurityMode.StartTls }),
        ["test-handling-plain-tls"] = ("xmpp://me:secret@example.com?mode=tls", MeSecret with { Mode = XmppSecurityMode.Tls, Port = 5223 }),
        ["test-handling-subject-roster"] = ("xmpp://me:secret@example.com?subject=yes&roster=yes", MeSecret with { Subject = true, Roster = true }),
        // test_xmpp_send_* (adds)
        ["test-send"] = ("xmpp://me:secret@example.com/a@example.com", MeSecret with { Targets = ["a@example.com"] }),
        ["test-send-subject"] = ("xmpp://me:secret@example.com/a@example.com?subject=yes", MeSecret with { Subject = true, Targets = ["a@example.com"] }),
        // test_xmpp_keepalive_url_and_parse
        ["test-keepalive"] = ("xmpp://me:pass@example.com/a@example.com?keepalive=yes", Me with { Mode = XmppSecurityMode.None, KeepAlive = true, Targets = ["a@example.com"] }),
        // test_xmpp_scramplus_parse_url_no / _yes
        ["test-scramplus-no"] = ("xmpps://me:pass@example.com/a@example.com?scramplus=no", Me with { ScramPlus = false, Targets = ["a@example.com"] }),
        ["test-scramplus-yes"] = ("xmpps://me:pass@example.com/a@example.com?scramplus=yes", Me with { Targets = ["a@example.com"] }),
        // test_xmpp_scramplus_passes_to_config (adds)
        ["test-scramplus-config-no"] = ("xmpps://user:pass@example.com/joe?scramplus=no", new Expected { Login = "user@example.com", ScramPlus = false, Targets = ["joe@example.com"] }),
        ["test-scramplus-config-default"] = ("xmpps://user:pass@example.com/joe", new Expected { Login = "user@example.com", Targets = ["joe@example.com"] }),
        // test_xmpp_muc_url_parsing_and_reconstruction: the form Apprise's url() writes (user as a JID, %23/%40 encoded)
        ["test-muc-apprise-url"] = ("xmpp://me%40example.com:secret@example.com/%23room%40conference.example.com/user%40example.com?mode=none&roster=no&subject=no&keepalive=no&scramplus=yes&format=text&overflow=upstream&retry=0&wait=0.5&optional=no",
            MeSecret with { Targets = ["#room@conference.example.com", "user@example.com"] }),
        // test_xmpp_name_parameter
        ["test-name-valid"] = ("xmpp://me:secret@example.com?name=my_bot", MeSecret with { Nick = "my_bot" }),
        ["test-name-invalid"] = ("xmpp://me:secret@example.com?name=bad%20name!", MeSecret with { Nick = "me" }),
        // test_xmpp_server_override_* (constructor with host/user/xmpp_host; as a URL)
        ["test-server-override"] = ("xmpp://user:pass@example.com/joe?xmpp=xmpp.example.com",
            new Expected { Login = "user@example.com", Mode = XmppSecurityMode.None, ConnectHost = "xmpp.example.com", Targets = ["joe@example.com"] }),
        ["test-server-override-same"] = ("xmpp://user:pass@example.com?xmpp=example.com", new Expected { Login = "user@example.com", Mode = XmppSecurityMode.None }),

        // --- Apprise globals and DESIGN-NOTES rules ---
        ["globals"] = ("xmpps://user:pass@example.ca?format=HTML&overflow=split&retry=3&wait=1.5&optional=yes&cto=7&rto=12.5",
            Ca with { Format = NotifyFormat.Html, Overflow = OverflowMode.Split, Retry = 3, Wait = 1.5, Optional = true, Cto = 7, Rto = 12.5 }),
        ["mode-prefix-t"] = ("xmpp://user:pass@example.ca?mode=T", Ca with { Mode = XmppSecurityMode.Tls, Port = 5223 }),
        ["mode-prefix-s"] = ("xmpp://user:pass@example.ca?mode=s", Ca),
        ["mode-prefix-n"] = ("xmpp://user:pass@example.ca?mode=n", Ca with { Mode = XmppSecurityMode.None }),
        ["tls-explicit-port"] = ("xmpps://user:pass@example.ca:443?mode=tls", Ca with { Mode = XmppSecurityMode.Tls, Port = 443 }),
        ["room-no-domain"] = ("xmpps://user:pass@example.ca/%23ops", Ca with { Targets = ["#ops@example.ca"] }),
        ["encoded-at"] = ("xmpps://user:pass@example.ca/bob%40example.org", Ca with { Targets = ["bob@example.org"] }),
        ["to-mixed"] = ("xmpps://user:pass@example.ca/jane?to=bob/phone%2C%23ops@conf.example.ca%3Bcarol%20dave",
            Ca with { Targets = ["jane@example.ca", "bob@example.ca/phone", "#ops@conf.example.ca", "carol@example.ca", "dave@example.ca"] }),
        ["xmpp-host-not-used-for-targets"] = ("xmpps://user:pass@example.ca/jane?xmpp=10.0.0.5", Ca with { ConnectHost = "10.0.0.5", Targets = ["jane@example.ca"] }),
        ["ipv6"] = ("xmpp://user:pass@[::1]:5299/bob", new Expected { Login = "user@[::1]", ConnectHost = "::1", Port = 5299, Mode = XmppSecurityMode.None, Targets = ["bob@[::1]"] }),
        ["invalid-targets-reported"] = ("xmpps://user:pass@example.ca/@bad/jane/bob@", Ca with { Targets = ["jane@example.ca"], Invalid = ["@bad", "bob@"] }),
        ["only-invalid-targets"] = ("xmpps://user:pass@example.ca/%23", Ca with { Targets = [], Invalid = ["#"] }),
        ["duplicates-once"] = ("xmpps://user:pass@example.ca/jane/jane@example.ca?to=JANE", Ca with { Targets = ["jane@example.ca"] }),
        ["bool-spellings"] = ("xmpps://user:pass@example.ca?verify=off&subject=true&roster=1&scramplus=never&optional=enable&keepalive=n",
            Ca with { Verify = false, Subject = true, Roster = true, ScramPlus = false, Optional = true }),
        ["semicolon-separates-params"] = ("xmpps://user:pass@example.ca?subject=yes;roster=yes", Ca with { Subject = true, Roster = true }),
        ["ignored-params"] = ("xmpps://user:pass@example.ca?tz=UTC&emojis=yes&xep=30,199&bogus=1", Ca with { Ignored = ["tz", "emojis", "xep", "bogus"] }),
        ["legacy-user-slash-password"] = ("xmpp://user/pass@example.ca/jane", Ca with { Mode = XmppSecurityMode.None, Targets = ["jane@example.ca"] }),
        ["query-credentials"] = ("xmpps://user:wrong@example.ca?pass=pass&port=5333", Ca with { Port = 5333 }),
        ["user-case-kept-for-nick"] = ("xmpps://User:pass@example.ca", Ca with { Nick = "User" }),
        ["empty-values-are-defaults"] = ("xmpps://user:pass@example.ca?mode=&verify=&retry=&format=", Ca),
        ["plus-is-literal"] = ("xmpps://user:p+ss@example.ca", Ca with { Password = "p+ss" }),
        // --- Parameters of our own (two-way XMPP; Apprise ignores them) ---
        ["receipts-wait"] = ("xmpps://user:pass@example.ca/jane?receipts=wait", Ca with { Targets = ["jane@example.ca"], Receipts = ReceiptMode.Wait }),
        ["receipts-yes-is-require"] = ("xmpps://user:pass@example.ca/jane?receipts=yes", Ca with { Targets = ["jane@example.ca"], Receipts = ReceiptMode.Require }),
        ["receipts-require"] = ("xmpps://user:pass@example.ca/jane?receipts=REQUIRE", Ca with { Targets = ["jane@example.ca"], Receipts = ReceiptMode.Require }),
        ["receipts-no"] = ("xmpps://user:pass@example.ca?receipts=no", Ca),
        ["subscribe-accept"] = ("xmpps://user:pass@example.ca?subscribe=accept", Ca with { Subscribe = SubscriptionPolicy.Accept }),
        ["subscribe-deny"] = ("xmpps://user:pass@example.ca?subscribe=deny", Ca with { Subscribe = SubscriptionPolicy.Deny }),
        ["recipients-url"] = ("xmpps://user:pass@example.ca/ops?recipients=url", Ca with { Targets = ["ops@example.ca"], Recipients = RecipientPolicy.Url }),
        ["recipients-domain"] = ("xmpps://user:pass@example.ca?recipients=DOMAIN", Ca with { Recipients = RecipientPolicy.Domain }),
        ["recipients-any"] = ("xmpps://user:pass@example.ca?recipients=any", Ca),
        ["offline-skip"] = ("xmpps://user:pass@example.ca?offline=skip", Ca with { Offline = OfflinePolicy.Skip }),
        ["offline-fail"] = ("xmpps://user:pass@example.ca?offline=fail&subscribe=ignore&receipts=wait", Ca with { Offline = OfflinePolicy.Fail, Receipts = ReceiptMode.Wait }),
        // --- WebSocket (RFC 7395; Apprise has no WebSocket transport). '+Name=value' is Apprise's header convention for HTTP plugins. ---
        ["ws-discover"] = ("xmpps://user:pass@example.ca/jane?transport=websocket", Ca with { Targets = ["jane@example.ca"], Transport = UrlTransport.WebSocket }),
        ["ws-discover-short"] = ("xmpps://user:pass@example.ca?transport=WS", Ca with { Transport = UrlTransport.WebSocket }),
        ["ws-tcp-explicit"] = ("xmpps://user:pass@example.ca?transport=tcp", Ca),
        ["ws-explicit-url"] = ("xmpps://user:pass@example.ca?wsurl=wss%3A%2F%2Fchat.example.ca%2Fxmpp-websocket",
            Ca with { Transport = UrlTransport.WebSocket, WsUrl = "wss://chat.example.ca/xmpp-websocket" }),
        ["ws-explicit-url-port-query"] = ("xmpps://user:pass@example.ca?transport=websocket&wsurl=wss%3A%2F%2Fchat.example.ca%3A8443%2Fws%3Ftoken%3Dab%2Bc",
            Ca with { Transport = UrlTransport.WebSocket, WsUrl = "wss://chat.example.ca:8443/ws?token=ab+c" }),
        ["ws-plain-with-mode-none"] = ("xmpp://user:pass@example.ca?wsurl=ws%3A%2F%2F127.0.0.1%3A5280%2Fxmpp-websocket",
            Ca with { Mode = XmppSecurityMode.None, Transport = UrlTransport.WebSocket, WsUrl = "ws://127.0.0.1:5280/xmpp-websocket" }),
        ["ws-headers"] = ("xmpps://user:pass@example.ca?transport=websocket&+X-Token=t0k%26n&+Cookie=session%3Dabc%3B%20lang%3Den",
            Ca with { Transport = UrlTransport.WebSocket, Headers = ["X-Token=t0k&n", "Cookie=session=abc; lang=en"] }),
        ["ws-header-last-wins"] = ("xmpps://user:pass@example.ca?transport=websocket&+X-Token=a&+x-token=b",
            Ca with { Transport = UrlTransport.WebSocket, Headers = ["x-token=b"] }),
        ["hash-in-password"] = ("xmpps://user:pa#ss@example.ca/#ops@conf.example.ca", Ca with { Password = "pa#ss", Targets = ["#ops@conf.example.ca"] }),
    };

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var name in Cases.Keys)
            data.Add(name);
        return data;
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Plan_matches_expected(string name)
    {
        var (url, e) = Cases[name];
        var plan = AppriseXmppUrl.Parse(url);
        AssertPlan(e, plan);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Canonical_url_round_trips_to_an_equal_plan(string name)
    {
        var plan = AppriseXmppUrl.Parse(Cases[name].Url);
        var again = AppriseXmppUrl.Parse(plan.ToUrl(includePassword: true));
        Assert.Equal(plan, again);
        AssertPlan(Cases[name].Plan with { Ignored = [] }, again); // ignored parameters are dropped from the canonical URL
        // Canonical form is a fixed point.
        Assert.Equal(plan.ToUrl(true), again.ToUrl(true));
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Redacted_forms_never_show_the_password(string name)
    {
        var plan = AppriseXmppUrl.Parse(Cases[name].Url);
        Assert.DoesNotContain(":" + Uri.EscapeDataString(plan.Password) + "@", plan.ToString(), StringComparison.Ordinal);
        Assert.Contains(":****@", plan.ToString(), StringComparison.Ordinal);
        Assert.Equal(plan.ToUrl(false), plan.ToString());
        // Header values and the endpoint's query are credentials as well.
        foreach (var header in plan.WebSocketHeaders)
            Assert.Contains($"&+{header.Key}=****", plan.ToString(), StringComparison.Ordinal);
        if (plan.WebSocketUri?.Query is { Length: > 1 } query)
            Assert.DoesNotContain(Uri.EscapeDataString(query[1..]), plan.ToString(), StringComparison.Ordinal);
    }

    internal static void AssertPlan(Expected e, AppriseXmppUrl plan)
    {
        Assert.Equal(e.Login, plan.LoginJid.ToString());
        Assert.Equal(e.Password, plan.Password);
        Assert.Equal(e.ConnectHost ?? plan.LoginJid.Domain, plan.ConnectHost);
        Assert.Equal(e.Port, plan.Port);
        Assert.Equal(e.Mode, plan.Mode);
        Assert.Equal(e.Mode switch
        {
            XmppSecurityMode.None => SecureSocketOptions.None,
            XmppSecurityMode.Tls => SecureSocketOptions.DirectTls,
            _ => SecureSocketOptions.StartTls,
        }, plan.Security);
        Assert.Equal(e.Verify, plan.Verify);
        var expectedTargets = e.Targets ?? [e.Login];
        Assert.Equal(expectedTargets, plan.Targets.Select(t => t.ToString()).ToArray());
        Assert.Equal(e.Invalid, plan.InvalidTargets.Select(t => t.Text).ToArray());
        Assert.All(plan.InvalidTargets, t => Assert.False(string.IsNullOrWhiteSpace(t.Reason)));
        Assert.Equal(e.Subject, plan.Subject);
        Assert.Equal(e.Nick ?? e.Login[..e.Login.IndexOf('@', StringComparison.Ordinal)], plan.Nick);
        Assert.Equal(e.ScramPlus, plan.ScramPlus);
        Assert.Equal(e.Roster, plan.Roster);
        Assert.Equal(e.KeepAlive, plan.KeepAlive);
        Assert.Equal(e.Format, plan.Format);
        Assert.Equal(e.Overflow, plan.Overflow);
        Assert.Equal(e.Retry, plan.Retry);
        Assert.Equal(e.Wait, plan.Wait);
        Assert.Equal(e.Optional, plan.Optional);
        Assert.Equal(TimeSpan.FromSeconds(e.Cto), plan.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(e.Rto), plan.ReadTimeout);
        Assert.Equal(e.Ignored, plan.IgnoredParameters.ToArray());
        Assert.Equal(e.Receipts, plan.Receipts);
        Assert.Equal(e.Subscribe, plan.Subscribe);
        Assert.Equal(e.Offline, plan.Offline);
        Assert.Equal(e.Recipients, plan.Recipients);
        Assert.Equal(e.Transport, plan.Transport);
        Assert.Equal(e.WsUrl, plan.WebSocketUri?.OriginalString);
        Assert.Equal(e.Headers, plan.WebSocketHeaders.Select(h => h.Key + "=" + h.Value).ToArray());
        var client = plan.ToClientOptions();
        Assert.Equal(e.WsUrl, client.WebSocketUri?.OriginalString);
        Assert.Equal(e.Transport == UrlTransport.WebSocket && e.WsUrl is null, client.DiscoverWebSocket);
        Assert.Equal(e.Headers, client.WebSocketHeaders.Select(h => h.Key + "=" + h.Value).ToArray());
    }
}
