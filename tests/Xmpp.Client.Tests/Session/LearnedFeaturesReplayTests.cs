using System.Xml.Linq;
using Xmpp.Client.Tests.Replay;
using Xmpp.Client.Transport;

namespace Xmpp.Client.Tests.Session;

/// <summary>
/// Pipelined logins that reuse what this process learnt about a server: the first SASL message travels with the stream
/// header, and a server that now offers something else gets a clean second attempt. Each test has its own domain, so
/// the process-wide table of learnt features does not mix tests that run in parallel.
/// </summary>
public sealed class LearnedFeaturesReplayTests
{
    private const string Sasl = "urn:ietf:params:xml:ns:xmpp-sasl";

    private static string ServerHeader(string domain, string id) =>
        $"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='{id}' from='{domain}' version='1.0'>";

    private static string ClientHeader(string domain) =>
        $"<?xml version='1.0'?><stream:stream to='{domain}' from='alice@{domain}' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

    private static string Mechanisms(params string[] names) =>
        $"<stream:features><mechanisms xmlns='{Sasl}'>{string.Concat(names.Select(n => $"<mechanism>{n}</mechanism>"))}</mechanisms></stream:features>";

    // "\0alice\0s3cr3t-pw"
    private const string PlainAuth = $"<auth xmlns='{Sasl}' mechanism='PLAIN'>AGFsaWNlAHMzY3IzdC1wdw==</auth>";

    private static XmppClientOptions Options(string domain) => new(Jid.Parse($"alice@{domain}"), "s3cr3t-pw")
    {
        Security = SecureSocketOptions.DirectTls,
        ConnectHost = "replay.invalid",
        Port = 5223,
        ResponseTimeout = TimeSpan.FromSeconds(5),
        PipelineLogin = true,
    };

    /// <summary>After a successful SASL exchange: restart with bind, the message's ping, the answers, and the close.</summary>
    private static IEnumerable<ReplayStep> AfterSuccess(string domain) =>
    [
        ReplayStep.C(ClientHeader(domain) + "<iq type='set' id='t-1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>"),
        ReplayStep.C($"<iq type='get' id='t-2' to='{domain}'><ping xmlns='urn:xmpp:ping'/></iq>"),
        ReplayStep.S(ServerHeader(domain, "s2") + "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>"
            + $"<iq type='result' id='t-1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>alice@{domain}/r1</jid></bind></iq>"
            + $"<iq type='result' id='t-2' from='{domain}'/>"),
        ReplayStep.C("</stream:stream>"),
    ];

    private static async Task RunAsync(XmppClientOptions options, ReplayStream wire)
    {
        await using var client = new XmppClient(options, new ClaimsTls(new TcpTransport(options, wire)), idPrefix: "t");
        await client.LoginAsync();
        var report = await client.DisconnectAsync();
        Assert.Empty(report.Unacknowledged);
        wire.AssertComplete();
    }

    [Fact]
    public async Task A_second_login_sends_its_first_SASL_message_with_the_stream_header()
    {
        const string domain = "warm.example";
        var first = new ReplayStream(new[]
        {
            ReplayStep.C(ClientHeader(domain)),
            ReplayStep.S(ServerHeader(domain, "s1") + Mechanisms("PLAIN")),
            ReplayStep.C(PlainAuth),
            ReplayStep.S($"<success xmlns='{Sasl}'/>"),
        }.Concat(AfterSuccess(domain)));
        await RunAsync(Options(domain), first);

        // Same server again: header and <auth/> in one write, before the server said anything.
        var second = new ReplayStream(new[]
        {
            ReplayStep.C(ClientHeader(domain) + PlainAuth),
            ReplayStep.S(ServerHeader(domain, "s1") + Mechanisms("PLAIN") + $"<success xmlns='{Sasl}'/>"),
        }.Concat(AfterSuccess(domain)));
        await RunAsync(Options(domain), second);
    }

    [Fact]
    public async Task A_mechanism_the_server_no_longer_offers_fails_cleanly_and_the_login_starts_over()
    {
        const string domain = "changed.example";
        var options = Options(domain);
        LearnedFeatures.Remember(options, XElement.Parse(Mechanisms("SCRAM-SHA-1").Replace("<stream:features>", "<stream:features xmlns:stream='http://etherx.jabber.org/streams'>", StringComparison.Ordinal)));
        var wire = new ReplayStream(new[]
        {
            ReplayStep.C(text => text.StartsWith(ReplayStream.Normalize(ClientHeader(domain)), StringComparison.Ordinal) && text.Contains("mechanism='SCRAM-SHA-1'", StringComparison.Ordinal), "header + SCRAM-SHA-1 auth"),
            ReplayStep.S(ServerHeader(domain, "s1") + Mechanisms("PLAIN") + $"<failure xmlns='{Sasl}'><invalid-mechanism/></failure>"),
            ReplayStep.C(PlainAuth),
            ReplayStep.S($"<success xmlns='{Sasl}'/>"),
        }.Concat(AfterSuccess(domain)));
        await RunAsync(options, wire);
    }

    [Fact]
    public async Task A_stronger_mechanism_offered_now_aborts_the_guess_and_uses_it()
    {
        const string domain = "stronger.example";
        var options = Options(domain);
        LearnedFeatures.Remember(options, XElement.Parse(Mechanisms("SCRAM-SHA-1").Replace("<stream:features>", "<stream:features xmlns:stream='http://etherx.jabber.org/streams'>", StringComparison.Ordinal)));
        var wire = new ReplayStream(
        [
            ReplayStep.C(text => text.Contains("mechanism='SCRAM-SHA-1'", StringComparison.Ordinal), "header + SCRAM-SHA-1 auth"),
            ReplayStep.S(ServerHeader(domain, "s1") + Mechanisms("SCRAM-SHA-256", "SCRAM-SHA-1")
                + $"<challenge xmlns='{Sasl}'>cj1ub25jZSxzPVFTWENSK1E2c2VrOGJmOTJRPT0saT00MDk2</challenge>"),
            ReplayStep.C($"<abort xmlns='{Sasl}'/>"),
            ReplayStep.S($"<failure xmlns='{Sasl}'><aborted/></failure>"),
            ReplayStep.C(text => text.Contains("mechanism='SCRAM-SHA-256'", StringComparison.Ordinal), "SCRAM-SHA-256 auth"),
            ReplayStep.S($"<failure xmlns='{Sasl}'><not-authorized/></failure>"),
        ]);
        await using var client = new XmppClient(options, new ClaimsTls(new TcpTransport(options, wire)), idPrefix: "t");

        var error = await Assert.ThrowsAsync<XmppAuthenticationException>(() => client.LoginAsync());
        Assert.Equal("SCRAM-SHA-256", error.Mechanism);
        Assert.Equal("not-authorized", error.Condition);
        wire.AssertComplete();
    }

    /// <summary>A replayed connection standing in for a TLS one, so the client takes the path it takes after TLS.</summary>
    internal sealed class ClaimsTls(IXmppTransport inner) : IXmppTransport
    {
        public bool IsEncrypted => true;

        public TlsDetails? Tls => null;

        public bool SupportsStartTls => false;

        public Task ConnectAsync(CancellationToken cancellationToken) => inner.ConnectAsync(cancellationToken);

        public Task StartTlsAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<StreamHeader> OpenStreamAsync(string serverDomain, string? clientJid, CancellationToken cancellationToken) =>
            inner.OpenStreamAsync(serverDomain, clientJid, cancellationToken);

        public void EnqueueStreamHeader(string serverDomain, string? clientJid) => inner.EnqueueStreamHeader(serverDomain, clientJid);

        public Task<StreamHeader> ReadStreamHeaderAsync(CancellationToken cancellationToken) => inner.ReadStreamHeaderAsync(cancellationToken);

        public void Enqueue(string element, string? redactedForLog = null) => inner.Enqueue(element, redactedForLog);

        public Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public Task<XElement?> ReadElementAsync(CancellationToken cancellationToken) => inner.ReadElementAsync(cancellationToken);

        public long BytesReceived => inner.BytesReceived;

        public Task CloseStreamAsync(CancellationToken cancellationToken) => inner.CloseStreamAsync(cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
