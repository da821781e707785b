using Xmpp.Client.Tests.Replay;
using Xmpp.Client.Transport;

namespace Xmpp.Client.Tests.Session;

/// <summary>Whole sessions replayed from byte transcripts: what the client writes is checked step by step.</summary>
public sealed class SessionReplayTests
{
    private static string ServerHeader(string id) =>
        $"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='{id}' from='example.org' version='1.0'>";

    private static XmppClientOptions Options() => new(Jid.Parse("alice@example.org"), "s3cr3t-pw")
    {
        Security = SecureSocketOptions.None,
        ResponseTimeout = TimeSpan.FromSeconds(5),
    };

    private static string ClientHeader(string? from) =>
        "<?xml version='1.0'?><stream:stream to='example.org'" + (from is null ? "" : $" from='{from}'") + " version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

    private static IEnumerable<ReplayStep> LoginSteps(string features) =>
    [
        ReplayStep.C(ClientHeader(null)),
        ReplayStep.S(ServerHeader("s1")),
        ReplayStep.S("<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>"),
        // PLAIN is allowed in cleartext only because the caller chose mode none: "\0alice\0s3cr3t-pw".
        ReplayStep.C("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAHMzY3IzdC1wdw==</auth>"),
        ReplayStep.S("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"),
        ReplayStep.C(ClientHeader("alice@example.org")),
        ReplayStep.S(ServerHeader("s2")),
        ReplayStep.S(features),
    ];

    [Fact]
    public async Task Login_send_acknowledge_and_close_follow_the_protocol_byte_for_byte()
    {
        var steps = LoginSteps("<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/><sm xmlns='urn:xmpp:sm:3'/></stream:features>").Concat(
        [
            ReplayStep.C("<iq type='set' id='t-1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq><enable xmlns='urn:xmpp:sm:3'/>"),
            ReplayStep.S("<iq type='result' id='t-1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>alice@example.org/r1</jid></bind></iq>"),
            ReplayStep.S("<enabled xmlns='urn:xmpp:sm:3'/>"),
            ReplayStep.C("<message to='bob@example.org' type='chat' id='t-2'><body>Disk &lt;90%&gt; &amp; rising</body></message>"),
            ReplayStep.C("<r xmlns='urn:xmpp:sm:3'/>"),
            ReplayStep.S("<a xmlns='urn:xmpp:sm:3' h='1'/>"),
            // The client closes without waiting for the server's close: delivery is already proven.
            ReplayStep.C("</stream:stream>"),
        ]);
        var wire = new ReplayStream(steps, chunkSize: 7);
        var options = Options();
        await using var client = new XmppClient(options, new TcpTransport(options, wire), idPrefix: "t");

        await client.LoginAsync();
        Assert.Equal("alice@example.org/r1", client.BoundJid!.ToString());
        Assert.True(client.IsStreamManagementEnabled);
        var id = await client.SendMessageAsync(new OutgoingMessage(Jid.Parse("bob@example.org"), "Disk <90%> & rising"));
        var report = await client.DisconnectAsync();

        Assert.Equal([id], report.Acknowledged);
        wire.AssertComplete();
    }

    [Fact]
    public async Task A_bounce_before_the_acknowledgement_is_reported_not_delivered()
    {
        var steps = LoginSteps("<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/><sm xmlns='urn:xmpp:sm:3'/></stream:features>").Concat(
        [
            ReplayStep.C("<iq type='set' id='t-1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq><enable xmlns='urn:xmpp:sm:3'/>"),
            ReplayStep.S("<iq type='result' id='t-1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>alice@example.org/r1</jid></bind></iq><enabled xmlns='urn:xmpp:sm:3'/>"),
            ReplayStep.C("<message to='ghost@example.org' type='chat' id='m1'><body>boo</body></message>"),
            ReplayStep.C("<r xmlns='urn:xmpp:sm:3'/>"),
            ReplayStep.S("<message from='ghost@example.org' type='error' id='m1'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message><a xmlns='urn:xmpp:sm:3' h='1'/>"),
            // The client closes without waiting for the server's close: delivery is already proven.
            ReplayStep.C("</stream:stream>"),
        ]);
        var wire = new ReplayStream(steps);
        var options = Options();
        await using var client = new XmppClient(options, new TcpTransport(options, wire), idPrefix: "t");
        await client.LoginAsync();
        await client.SendMessageAsync(new OutgoingMessage(Jid.Parse("ghost@example.org"), "boo") { Id = "m1" });
        var report = await client.DisconnectAsync();

        var bounce = Assert.Single(report.Bounced);
        Assert.Equal("service-unavailable", bounce.Error.Condition);
        Assert.Empty(report.Acknowledged);
        wire.AssertComplete();
    }

    [Fact]
    public async Task Stream_error_during_login_becomes_a_typed_exception()
    {
        var wire = new ReplayStream(
        [
            ReplayStep.C(ClientHeader(null)),
            ReplayStep.S(ServerHeader("s1")
                + "<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>no such host</text></stream:error></stream:stream>"),
        ]);
        var options = Options();
        await using var client = new XmppClient(options, new TcpTransport(options, wire), idPrefix: "t");
        var error = await Assert.ThrowsAsync<XmppStreamErrorException>(() => client.LoginAsync());
        Assert.Equal("host-unknown", error.Condition);
        Assert.Equal("no such host", error.Text);
    }

    [Fact]
    public async Task Plain_is_refused_in_cleartext_unless_mode_none()
    {
        var wire = new ReplayStream(
        [
            // STARTTLS mode sends <starttls/> with the header: it never continues without TLS, whatever the features say.
            ReplayStep.C(ClientHeader(null) + "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
            ReplayStep.S(ServerHeader("s1")
                + "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>"),
        ]);
        var options = Options();
        options.Security = SecureSocketOptions.StartTls;
        await using var client = new XmppClient(options, new TcpTransport(options, wire), idPrefix: "t");
        // The server offers no STARTTLS: the client stops before any credential is written.
        await Assert.ThrowsAsync<XmppTlsException>(() => client.LoginAsync());
        wire.AssertComplete();
    }

    [Fact]
    public async Task Server_signature_mismatch_fails_scram_login()
    {
        var wire = new ReplayStream(
        [
            ReplayStep.C(ClientHeader(null)),
            ReplayStep.S(ServerHeader("s1")
                + "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism></mechanisms></stream:features>"),
            ReplayStep.C(text => text.Contains("mechanism='SCRAM-SHA-1'", StringComparison.Ordinal), "SCRAM auth"),
            ReplayStep.S("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/><text>bad credentials</text></failure>"),
        ]);
        var options = Options();
        await using var client = new XmppClient(options, new TcpTransport(options, wire), idPrefix: "t");
        var error = await Assert.ThrowsAsync<XmppAuthenticationException>(() => client.LoginAsync());
        Assert.Equal("not-authorized", error.Condition);
        Assert.Contains("bad credentials", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t-pw", error.ToString(), StringComparison.Ordinal);
    }

    private static IEnumerable<ReplayStep> PipelinedLoginSteps() =>
    [
        ReplayStep.C(ClientHeader(null)),
        ReplayStep.S(ServerHeader("s1")),
        ReplayStep.S("<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>"),
        ReplayStep.C("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAHMzY3IzdC1wdw==</auth>"),
        ReplayStep.S("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"),
        // The restart and the bind request in one write, before the server's new features.
        ReplayStep.C(ClientHeader("alice@example.org") + "<iq type='set' id='t-1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>"),
    ];

    private static XmppClientOptions PipelinedOptions()
    {
        var options = Options();
        options.PipelineLogin = true;
        return options;
    }

    [Fact]
    public async Task Pipelined_login_sends_message_and_ping_before_any_answer_and_closes_without_waiting()
    {
        // The server speaks only after the client wrote everything: the replay blocks reads until then, which proves
        // that restart, bind, message and ping share one flight. The features offer SM; a pipelined login does not use it.
        var steps = PipelinedLoginSteps().Concat(
        [
            ReplayStep.C("<message to='bob@example.org' type='chat' id='t-2'><body>up</body></message>"),
            ReplayStep.C("<iq type='get' id='t-3' to='example.org'><ping xmlns='urn:xmpp:ping'/></iq>"),
            ReplayStep.S(ServerHeader("s2") + "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/><sm xmlns='urn:xmpp:sm:3'/></stream:features>"
                + "<iq type='result' id='t-1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>alice@example.org/r1</jid></bind></iq>"
                + "<iq type='result' id='t-3' from='example.org'/>"),
            ReplayStep.C("</stream:stream>"),
        ]);
        var wire = new ReplayStream(steps, chunkSize: 5);
        var options = PipelinedOptions();
        await using var client = new XmppClient(options, new TcpTransport(options, wire), idPrefix: "t");

        await client.LoginAsync();
        var id = await client.SendMessageAsync(new OutgoingMessage(Jid.Parse("bob@example.org"), "up"));
        var report = await client.DisconnectAsync();

        Assert.Equal([id], report.Acknowledged);
        Assert.Equal("alice@example.org/r1", client.BoundJid!.ToString());
        Assert.False(client.IsStreamManagementEnabled);
        wire.AssertComplete();
    }

    [Fact]
    public async Task Pipelined_bind_refused_fails_the_send_with_the_bind_error()
    {
        var steps = PipelinedLoginSteps().Concat(
        [
            ReplayStep.C("<message to='bob@example.org' type='chat' id='t-2'><body>up</body></message>"),
            ReplayStep.C("<iq type='get' id='t-3' to='example.org'><ping xmlns='urn:xmpp:ping'/></iq>"),
            ReplayStep.S(ServerHeader("s2") + "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>"
                + "<iq type='error' id='t-1'><error type='cancel'><not-allowed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
                + "<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"),
        ]);
        var wire = new ReplayStream(steps);
        var options = PipelinedOptions();
        await using var client = new XmppClient(options, new TcpTransport(options, wire), idPrefix: "t");

        await client.LoginAsync();
        await client.SendMessageAsync(new OutgoingMessage(Jid.Parse("bob@example.org"), "up"));
        // The bind error, not the stream error the server sends for the unbound message, is what the caller learns.
        var error = await Assert.ThrowsAsync<XmppStanzaErrorException>(() => client.DisconnectAsync());
        Assert.Equal("not-allowed", error.Error.Condition);
        Assert.Contains("Resource binding failed", error.Message, StringComparison.Ordinal);
        Assert.Null(client.BoundJid);
    }

    [Fact]
    public async Task Pipelined_login_against_features_without_bind_is_a_protocol_error()
    {
        var steps = PipelinedLoginSteps().Concat(
        [
            ReplayStep.C("<iq type='get' id='t-2' to='example.org'><ping xmlns='urn:xmpp:ping'/></iq>"),
            ReplayStep.S(ServerHeader("s2") + "<stream:features/>"),
        ]);
        var wire = new ReplayStream(steps);
        var options = PipelinedOptions();
        await using var client = new XmppClient(options, new TcpTransport(options, wire), idPrefix: "t");

        await client.LoginAsync();
        var error = await Assert.ThrowsAsync<XmppProtocolException>(() => client.WaitForDeliveryAsync());
        Assert.Contains("no resource binding", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Closing_without_waiting_still_reports_what_the_server_never_acknowledged()
    {
        // The server answers the bind but never the ping: after the response timeout the message is reported
        // unacknowledged, and the client closes its side without waiting for anything more.
        var steps = PipelinedLoginSteps().Concat(
        [
            ReplayStep.C("<message to='bob@example.org' type='chat' id='t-2'><body>up</body></message>"),
            ReplayStep.C("<iq type='get' id='t-3' to='example.org'><ping xmlns='urn:xmpp:ping'/></iq>"),
            ReplayStep.S(ServerHeader("s2") + "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>"
                + "<iq type='result' id='t-1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>alice@example.org/r1</jid></bind></iq>"),
            ReplayStep.C("</stream:stream>"),
        ]);
        var wire = new ReplayStream(steps);
        var options = PipelinedOptions();
        options.ResponseTimeout = TimeSpan.FromMilliseconds(400);
        await using var client = new XmppClient(options, new TcpTransport(options, wire), idPrefix: "t");

        await client.LoginAsync();
        var id = await client.SendMessageAsync(new OutgoingMessage(Jid.Parse("bob@example.org"), "up"));
        var report = await client.DisconnectAsync();

        Assert.Equal([id], report.Unacknowledged);
        Assert.Empty(report.Acknowledged);
        wire.AssertComplete();
    }
}
