using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Xmpp.Client.Tests.Integration;
using Xmpp.Client.Tests.Replay;
using Xmpp.Client.Transport;
using ClaimsTls = Xmpp.Client.Tests.Session.LearnedFeaturesReplayTests.ClaimsTls;

namespace Xmpp.Client.Tests.Session;

/// <summary>
/// SASL2 (XEP-0388) with Bind 2 (XEP-0386) and FAST (XEP-0484) on replayed transcripts: what is sent in which flight,
/// what the success must prove, what a refused token does, and when the client keeps to SASL and RFC 6120 bind.
/// Each test has its own domain, so the process-wide table of learnt features does not mix parallel tests.
/// </summary>
public sealed class Sasl2ReplayTests
{
    private const string Sasl2 = "urn:xmpp:sasl:2";
    private const string Token = "secret-token:fast-replay-0123456789";

    private static string ServerHeader(string domain) =>
        $"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='{domain}' version='1.0'>";

    private static string ClientHeader(string domain) =>
        $"<?xml version='1.0'?><stream:stream to='{domain}' from='alice@{domain}' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

    private static string Features(bool bind2 = true, bool fast = false) =>
        $"<stream:features><authentication xmlns='{Sasl2}'><mechanism>PLAIN</mechanism><inline>"
        + (bind2 ? "<bind xmlns='urn:xmpp:bind:0'/>" : "")
        + (fast ? "<fast xmlns='urn:xmpp:fast:0'><mechanism>HT-SHA-256-NONE</mechanism></fast>" : "")
        + "</inline></authentication><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>";

    private static XElement Learnt(string features) =>
        XElement.Parse(features.Replace("<stream:features>", "<stream:features xmlns:stream='http://etherx.jabber.org/streams'>", StringComparison.Ordinal));

    // "\0alice\0s3cr3t-pw"
    private const string PlainResponse = "AGFsaWNlAHMzY3IzdC1wdw==";

    private static string Ping(string domain) => $"<iq type='get' id='t-1' to='{domain}'><ping xmlns='urn:xmpp:ping'/></iq>";

    private static string Pong(string domain) => $"<iq type='result' id='t-1' from='{domain}'/>";

    private static string Success(string domain, string? additionalData = null, string? newToken = null) =>
        $"<success xmlns='{Sasl2}'>" + (additionalData is null ? "" : $"<additional-data>{additionalData}</additional-data>")
        + "<bound xmlns='urn:xmpp:bind:0'/>"
        + (newToken is null ? "" : $"<token xmlns='urn:xmpp:fast:0' expiry='2099-01-01T00:00:00Z' token='{newToken}'/>")
        + $"<authorization-identifier>alice@{domain}/r1</authorization-identifier></success>";

    private static string Hmac(string label) =>
        Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Token), Encoding.ASCII.GetBytes(label)));

    private static string FastInitialResponse() =>
        Convert.ToBase64String([.. Encoding.UTF8.GetBytes("alice"), 0, .. Convert.FromBase64String(Hmac("Initiator"))]);

    private static XmppClientOptions Options(string domain, IFastTokenStore? tokens = null, IProtocolLogger? logger = null) => new(Jid.Parse($"alice@{domain}"), "s3cr3t-pw")
    {
        Security = SecureSocketOptions.DirectTls,
        ConnectHost = "replay.invalid",
        Port = 5223,
        ResponseTimeout = TimeSpan.FromSeconds(5),
        PipelineLogin = true,
        FastTokens = tokens,
        ProtocolLogger = logger,
    };

    /// <summary>A pipelined login that holds a token and knows the server offers FAST: it sends everything in one flight.</summary>
    private static (XmppClientOptions Options, InMemoryFastTokenStore Tokens) FastLogin(string domain, IProtocolLogger? logger = null)
    {
        var tokens = new InMemoryFastTokenStore();
        tokens.Save(Jid.Parse($"alice@{domain}"), new FastToken("HT-SHA-256-NONE", Token, DateTimeOffset.UtcNow.AddDays(1)));
        var options = Options(domain, tokens, logger);
        LearnedFeatures.Remember(options, Learnt(Features(fast: true)));
        return (options, tokens);
    }

    private static XmppClient Client(XmppClientOptions options, ReplayStream wire) =>
        new(options, new ClaimsTls(new TcpTransport(options, wire)), idPrefix: "t");

    [Fact]
    public async Task Sasl2_with_bind2_authenticates_and_binds_in_one_exchange_and_the_ping_shares_its_flight()
    {
        const string domain = "sasl2.example";
        var wire = new ReplayStream(
        [
            ReplayStep.C(ClientHeader(domain)),
            ReplayStep.S(ServerHeader(domain) + Features()),
            ReplayStep.C($"<authenticate xmlns='{Sasl2}' mechanism='PLAIN'><initial-response>{PlainResponse}</initial-response><bind xmlns='urn:xmpp:bind:0'/></authenticate>"),
            ReplayStep.C(Ping(domain)),
            // Answered only once both were written: the ping left before the success came back.
            ReplayStep.S(Success(domain) + "<stream:features/>" + Pong(domain)),
            ReplayStep.C("</stream:stream>"),
        ]);
        await using var client = Client(Options(domain), wire);
        await client.LoginAsync();
        var report = await client.DisconnectAsync();

        Assert.Empty(report.Unacknowledged);
        Assert.Equal(Jid.Parse($"alice@{domain}/r1"), client.BoundJid);
        Assert.Equal("PLAIN", client.Mechanism);
        wire.AssertComplete();
    }

    [Fact]
    public async Task A_fast_token_goes_with_the_stream_header_and_the_stanzas_in_one_flight_and_a_rotated_token_is_kept()
    {
        var logger = new RecordingProtocolLogger();
        var (options, tokens) = FastLogin("fast.example", logger);
        var domain = options.Jid.Domain;
        var wire = new ReplayStream(
        [
            ReplayStep.C(ClientHeader(domain)
                + $"<authenticate xmlns='{Sasl2}' mechanism='HT-SHA-256-NONE'><initial-response>{FastInitialResponse()}</initial-response>"
                + $"<user-agent id='{tokens.ClientId}'/><bind xmlns='urn:xmpp:bind:0'/><fast xmlns='urn:xmpp:fast:0'/></authenticate>"),
            ReplayStep.C(Ping(domain)),
            ReplayStep.S(ServerHeader(domain) + Features(fast: true) + Success(domain, Hmac("Responder"), newToken: "secret-token:fast-rotated") + Pong(domain)),
            ReplayStep.C("</stream:stream>"),
        ]);
        await using var client = Client(options, wire);
        await client.LoginAsync();
        var report = await client.DisconnectAsync();

        Assert.Empty(report.Unacknowledged);
        Assert.Equal("HT-SHA-256-NONE", client.Mechanism);
        Assert.Equal(Jid.Parse($"alice@{domain}/r1"), client.BoundJid);
        Assert.Equal("secret-token:fast-rotated", tokens.Find(options.Jid)!.Token);
        Assert.DoesNotContain("secret-token", logger.All, StringComparison.Ordinal);
        Assert.DoesNotContain(Hmac("Initiator"), logger.All, StringComparison.Ordinal);
        wire.AssertComplete();
    }

    [Fact]
    public async Task Without_a_verified_certificate_the_stanzas_wait_for_the_servers_success()
    {
        // verify=no: nothing proves who answers, so the ping (like any message) leaves only after the success.
        const string domain = "unverified.example";
        var options = Options(domain);
        options.VerifyCertificate = false;
        var wire = new ReplayStream(
        [
            ReplayStep.C(ClientHeader(domain)),
            ReplayStep.S(ServerHeader(domain) + Features()),
            ReplayStep.C($"<authenticate xmlns='{Sasl2}' mechanism='PLAIN'><initial-response>{PlainResponse}</initial-response><bind xmlns='urn:xmpp:bind:0'/></authenticate>"),
            ReplayStep.S(Success(domain) + "<stream:features/>"),
            ReplayStep.C(Ping(domain)),
            ReplayStep.S(Pong(domain)),
            ReplayStep.C("</stream:stream>"),
        ]);
        await using var client = Client(options, wire);
        await client.LoginAsync();
        var report = await client.DisconnectAsync();

        Assert.Empty(report.Unacknowledged);
        Assert.Equal(Jid.Parse($"alice@{domain}/r1"), client.BoundJid);
        wire.AssertComplete();
    }

    [Fact]
    public async Task Without_a_verified_certificate_a_fast_login_waits_for_the_proof_and_a_forged_success_stops_it_before_any_stanza()
    {
        var (options, _) = FastLogin("unverified-fast.example");
        options.VerifyCertificate = false;
        var domain = options.Jid.Domain;
        var wire = new ReplayStream(
        [
            ReplayStep.C(text => text.Contains("mechanism='HT-SHA-256-NONE'", StringComparison.Ordinal), "header + FAST authenticate, nothing else"),
            ReplayStep.S(ServerHeader(domain) + Features(fast: true) + Success(domain, Hmac("Responder"))),
            ReplayStep.C(Ping(domain)),
            ReplayStep.S(Pong(domain)),
            ReplayStep.C("</stream:stream>"),
        ]);
        await using (var client = Client(options, wire))
        {
            await client.LoginAsync();
            Assert.Empty((await client.DisconnectAsync()).Unacknowledged);
        }
        wire.AssertComplete();

        // A success without the responder's proof (what a machine in the middle could send) ends the login itself.
        var forged = new ReplayStream(
        [
            ReplayStep.C(text => text.Contains("mechanism='HT-SHA-256-NONE'", StringComparison.Ordinal), "header + FAST authenticate, nothing else"),
            ReplayStep.S(ServerHeader(domain) + Features(fast: true) + Success(domain)),
        ]);
        await using var second = Client(options, forged);
        var error = await Assert.ThrowsAsync<XmppAuthenticationException>(() => second.LoginAsync());
        Assert.Contains("did not prove", error.Message, StringComparison.Ordinal);
        forged.AssertComplete();
    }

    [Fact]
    public async Task Of_concurrent_logins_only_one_asks_for_a_token_so_the_store_keeps_the_one_the_server_holds()
    {
        const string domain = "concurrent.example";
        var tokens = new InMemoryFastTokenStore();
        string Authenticate(bool asks) =>
            $"<authenticate xmlns='{Sasl2}' mechanism='PLAIN'><initial-response>{PlainResponse}</initial-response><user-agent id='{tokens.ClientId}'/><bind xmlns='urn:xmpp:bind:0'/>"
            + (asks ? "<request-token xmlns='urn:xmpp:fast:0' mechanism='HT-SHA-256-NONE'/>" : "") + "</authenticate>";
        var first = new ReplayStream(
        [
            ReplayStep.C(ClientHeader(domain)),
            ReplayStep.S(ServerHeader(domain) + Features(fast: true)),
            ReplayStep.C(Authenticate(asks: true)),
            ReplayStep.C(Ping(domain)),
            ReplayStep.S(Success(domain, newToken: "secret-token:fast-one") + Pong(domain)),
            ReplayStep.C("</stream:stream>"),
        ]);
        // The second login knows the features from the first: its header travels with <authenticate/>.
        var second = new ReplayStream(
        [
            ReplayStep.C(ClientHeader(domain) + Authenticate(asks: false)),
            ReplayStep.C(Ping(domain)),
            ReplayStep.S(ServerHeader(domain) + Features(fast: true) + Success(domain) + Pong(domain)),
            ReplayStep.C("</stream:stream>"),
        ]);
        await using var a = Client(Options(domain, tokens), first);
        await using var b = Client(Options(domain, tokens), second);
        await a.LoginAsync();
        await b.LoginAsync(); // while the first one's token is still on its way
        Assert.Empty((await b.DisconnectAsync()).Unacknowledged);
        Assert.Empty((await a.DisconnectAsync()).Unacknowledged);
        first.AssertComplete();
        second.AssertComplete();
        Assert.Equal("secret-token:fast-one", tokens.Find(Jid.Parse($"alice@{domain}"))!.Token);
    }

    [Fact]
    public async Task A_refused_token_fails_typed_is_forgotten_and_nothing_counts_as_delivered()
    {
        var (options, tokens) = FastLogin("stale.example");
        var domain = options.Jid.Domain;
        var wire = new ReplayStream(
        [
            ReplayStep.C(text => text.Contains("mechanism='HT-SHA-256-NONE'", StringComparison.Ordinal), "header + FAST authenticate"),
            ReplayStep.C(text => text.StartsWith("<message", StringComparison.Ordinal), "the message"),
            ReplayStep.C(Ping(domain).Replace("t-1", "t-2", StringComparison.Ordinal)),
            ReplayStep.S(ServerHeader(domain) + Features(fast: true)
                + $"<failure xmlns='{Sasl2}'><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/></failure>"
                + "<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>"),
        ]);
        await using var client = Client(options, wire);
        await client.LoginAsync();
        var id = await client.SendMessageAsync(new OutgoingMessage(Jid.Parse($"bob@{domain}"), "hello"));
        var error = await Assert.ThrowsAsync<XmppAuthenticationException>(() => client.DisconnectAsync());

        Assert.True(error.IsTokenFailure);
        Assert.Equal("not-authorized", error.Condition);
        Assert.DoesNotContain(Token, error.Message, StringComparison.Ordinal);
        Assert.Null(tokens.Find(options.Jid));
        wire.AssertComplete();
        _ = id;
    }

    [Fact]
    public async Task A_fast_success_without_the_servers_proof_fails_the_session()
    {
        var (options, _) = FastLogin("noproof.example");
        var domain = options.Jid.Domain;
        var wire = new ReplayStream(
        [
            ReplayStep.C(text => text.Contains("mechanism='HT-SHA-256-NONE'", StringComparison.Ordinal), "header + FAST authenticate"),
            ReplayStep.C(Ping(domain)),
            ReplayStep.S(ServerHeader(domain) + Features(fast: true) + Success(domain) + Pong(domain)),
        ]);
        await using var client = Client(options, wire);
        await client.LoginAsync();
        var error = await Assert.ThrowsAsync<XmppAuthenticationException>(() => client.DisconnectAsync());
        Assert.Contains("did not prove", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_success_that_did_not_bind_fails_the_session()
    {
        const string domain = "unbound.example";
        var wire = new ReplayStream(
        [
            ReplayStep.C(ClientHeader(domain)),
            ReplayStep.S(ServerHeader(domain) + Features()),
            ReplayStep.C(text => text.Contains("<authenticate", StringComparison.Ordinal), "authenticate"),
            ReplayStep.C(Ping(domain)),
            ReplayStep.S($"<success xmlns='{Sasl2}'><authorization-identifier>alice@{domain}</authorization-identifier></success>" + Pong(domain)),
        ]);
        await using var client = Client(Options(domain), wire);
        await client.LoginAsync();
        var error = await Assert.ThrowsAsync<XmppProtocolException>(() => client.DisconnectAsync());
        Assert.Contains("did not bind", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_dropped_sasl2_since_it_was_learnt_fails_typed_and_the_next_login_uses_its_real_offer()
    {
        const string domain = "dropped.example";
        var options = Options(domain);
        LearnedFeatures.Remember(options, Learnt(Features()));
        var sasl1Only = "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>";
        var first = new ReplayStream(
        [
            ReplayStep.C(ClientHeader(domain) + $"<authenticate xmlns='{Sasl2}' mechanism='PLAIN'><initial-response>{PlainResponse}</initial-response><bind xmlns='urn:xmpp:bind:0'/></authenticate>"),
            ReplayStep.C(Ping(domain)),
            ReplayStep.S(ServerHeader(domain) + sasl1Only
                + "<stream:error><unsupported-feature xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>"),
        ]);
        await using (var client = Client(options, first))
        {
            await client.LoginAsync();
            var error = await Assert.ThrowsAsync<XmppProtocolException>(() => client.DisconnectAsync());
            Assert.True(error.IsStaleServerKnowledge, error.ToString());
        }
        first.AssertComplete();

        var second = new ReplayStream(
        [
            ReplayStep.C(ClientHeader(domain) + $"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{PlainResponse}</auth>"),
            ReplayStep.S(ServerHeader(domain) + sasl1Only + "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>"),
        ]);
        await using (var client = Client(Options(domain), second))
        {
            var error = await Assert.ThrowsAsync<XmppAuthenticationException>(() => client.LoginAsync());
            Assert.Equal("not-authorized", error.Condition);
        }
        second.AssertComplete();
    }

    [Theory]
    [InlineData("no-bind2")]
    [InlineData("resource")]
    [InlineData("off")]
    public async Task Without_bind2_a_chosen_resource_or_sasl2_turned_off_the_login_is_sasl_and_bind(string reason)
    {
        var domain = $"classic-{reason}.example";
        var options = Options(domain);
        options.Resource = reason == "resource" ? "r1" : null;
        options.UseSasl2 = reason != "off";
        var bind = options.Resource is null
            ? "<iq type='set' id='t-1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>"
            : "<iq type='set' id='t-1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>r1</resource></bind></iq>";
        var wire = new ReplayStream(
        [
            ReplayStep.C(ClientHeader(domain)),
            ReplayStep.S(ServerHeader(domain) + Features(bind2: reason != "no-bind2")),
            ReplayStep.C($"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{PlainResponse}</auth>"),
            ReplayStep.S("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"),
            ReplayStep.C(ClientHeader(domain) + bind),
            ReplayStep.C($"<iq type='get' id='t-2' to='{domain}'><ping xmlns='urn:xmpp:ping'/></iq>"),
            ReplayStep.S(ServerHeader(domain) + "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>"
                + $"<iq type='result' id='t-1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>alice@{domain}/r1</jid></bind></iq>"
                + $"<iq type='result' id='t-2' from='{domain}'/>"),
            ReplayStep.C("</stream:stream>"),
        ]);
        await using var client = Client(options, wire);
        await client.LoginAsync();
        var report = await client.DisconnectAsync();
        Assert.Empty(report.Unacknowledged);
        wire.AssertComplete();
    }
}
