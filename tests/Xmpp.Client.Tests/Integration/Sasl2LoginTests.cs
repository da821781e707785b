using Xmpp.TestServers;

namespace Xmpp.Client.Tests.Integration;

/// <summary>A Prosody 0.12 that also offers SASL2, Bind 2 and FAST (patched prosody-modules copies, see <see cref="ProsodySasl2Modules"/>).</summary>
public sealed class Sasl2ProsodyFixture : ServerFixture
{
    protected override async Task<IXmppTestServer> StartServerAsync() => await ProsodyServer.StartAsync(new ProsodyOptions { Sasl2 = true });

    public string CaPemPath => ((ProsodyServer)Server).CaCertificatePemPath;

    public string LogTail() => ((ProsodyServer)Server).LogTail(60);

    public int HttpPort => ((ProsodyServer)Server).HttpPort;
}

/// <summary>
/// SASL2 (XEP-0388) with Bind 2 (XEP-0386) and FAST (XEP-0484) against a real server: the first login authenticates
/// with SCRAM and asks for a token, the next proves the token with the messages in the same flight, a refused token
/// is forgotten and the login after it uses SCRAM again. Arrival is checked by an independent slixmpp session.
/// </summary>
public sealed class Sasl2LoginTests(Sasl2ProsodyFixture server) : IClassFixture<Sasl2ProsodyFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData(SecureSocketOptions.DirectTls, false)]
    [InlineData(SecureSocketOptions.StartTls, false)]
    [InlineData(SecureSocketOptions.DirectTls, true)]
    public async Task Scram_then_fast_then_a_refused_token_falls_back_to_scram(SecureSocketOptions security, bool tls12)
    {
        await using var bob = await ReceiverAsync();
        var tokens = new InMemoryFastTokenStore();
        _tls12 = tls12;

        // 1: SCRAM over SASL2, resource bound inline, a token requested. On TLS 1.2 the server can verify tls-unique:
        // SCRAM -PLUS, and the token is asked for the channel-bound HT-SHA-256-UNIQ.
        var (scram, log) = await SendAsync(security, tokens, bob);
        Assert.Equal(tls12 ? "SCRAM-SHA-1-PLUS" : "SCRAM-SHA-1", scram.Mechanism);
        Assert.Contains($"C: <authenticate xmlns='urn:xmpp:sasl:2' mechanism='{scram.Mechanism}'", log, StringComparison.Ordinal);
        Assert.Contains($"<request-token xmlns='urn:xmpp:fast:0' mechanism='HT-SHA-256-{(tls12 ? "UNIQ" : "NONE")}'/>", log, StringComparison.Ordinal);
        Assert.DoesNotContain(log.Split('\n'), l => l.StartsWith("C: ", StringComparison.Ordinal) && l.Contains("urn:ietf:params:xml:ns:xmpp-bind", StringComparison.Ordinal));
        Assert.DoesNotContain("C: <auth ", log, StringComparison.Ordinal);
        Assert.Equal(1, log.Split('\n').Count(l => l.StartsWith("C: <?xml", StringComparison.Ordinal)) - (security == SecureSocketOptions.StartTls ? 1 : 0)); // no stream restart
        var token = tokens.Find(server["alice"].Jid);
        Assert.NotNull(token);
        Assert.StartsWith("HT-SHA-256-", token.Mechanism, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Token, log, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Token, token.ToString(), StringComparison.Ordinal);

        // 2: FAST, the message in the flight of the token proof (before the server's success).
        var (fast, fastLog) = await SendAsync(security, tokens, bob);
        Assert.Equal(token.Mechanism, fast.Mechanism);
        var lines = fastLog.Split('\n').ToList();
        var authenticate = lines.FindIndex(l => l.StartsWith("C: <authenticate ", StringComparison.Ordinal) && l.Contains("<fast xmlns='urn:xmpp:fast:0'/>", StringComparison.Ordinal));
        var message = lines.FindIndex(l => l.StartsWith("C: <message", StringComparison.Ordinal));
        var success = lines.FindIndex(l => l.StartsWith("S: <success", StringComparison.Ordinal));
        Assert.True(authenticate >= 0 && message > authenticate && success > message, "the message leaves before the FAST success arrives:\n" + fastLog);
        Assert.DoesNotContain(token.Token, fastLog, StringComparison.Ordinal);

        // 3: a token the server does not know: typed failure, nothing delivered, token forgotten.
        tokens.Save(server["alice"].Jid, token with { Token = "secret-token:fast-not-issued-" + Guid.NewGuid().ToString("N") });
        var options = Options(security, tokens, new RecordingProtocolLogger());
        var body = $"refused token {Guid.NewGuid():N}";
        var failure = await Assert.ThrowsAsync<XmppAuthenticationException>(async () =>
        {
            await using var client = new XmppClient(options);
            await client.LoginAsync();
            await client.SendMessageAsync(new OutgoingMessage(server["bob"].Jid, body));
            await client.DisconnectAsync();
        });
        Assert.True(failure.IsTokenFailure, failure.ToString());
        Assert.Null(tokens.Find(server["alice"].Jid));

        // 4: SCRAM again, and a new token.
        var (again, _) = await SendAsync(security, tokens, bob);
        Assert.StartsWith("SCRAM-SHA-1", again.Mechanism, StringComparison.Ordinal);
        Assert.NotNull(tokens.Find(server["alice"].Jid));
        Assert.DoesNotContain(bob.Received, m => m.Body == body);
    }

    [Theory]
    [InlineData(SecureSocketOptions.DirectTls)]
    [InlineData(SecureSocketOptions.StartTls)]
    public async Task Without_certificate_verification_scram_and_fast_send_no_message_before_the_servers_success(SecureSocketOptions security)
    {
        // verify=no and TLS 1.3 without -PLUS: no proof of the server but its SASL2 success, so nothing is sent before it.
        await using var bob = await ReceiverAsync();
        var tokens = new InMemoryFastTokenStore();
        _verifyOff = true;
        foreach (var expected in new[] { "SCRAM-SHA-1", "HT-SHA-256-NONE" })
        {
            var (client, log) = await SendAsync(security, tokens, bob);
            Assert.Equal(expected, client.Mechanism);
            var lines = log.Split('\n').ToList();
            var success = lines.FindIndex(l => l.StartsWith("S: <success", StringComparison.Ordinal));
            var message = lines.FindIndex(l => l.StartsWith("C: <message", StringComparison.Ordinal));
            Assert.True(success >= 0 && message > success, "the message leaves only after the server's success:\n" + log);
        }
    }

    [Fact]
    public async Task Over_websocket_scram_then_fast_deliver()
    {
        await using var bob = await ReceiverAsync();
        var tokens = new InMemoryFastTokenStore();
        foreach (var expected in new[] { "SCRAM-SHA-1", "HT-SHA-256-NONE" })
        {
            var logger = new RecordingProtocolLogger();
            var options = Options(SecureSocketOptions.None, tokens, logger);
            options.WebSocketUri = new Uri($"ws://127.0.0.1:{server.HttpPort}/xmpp-websocket");
            await using var client = new XmppClient(options);
            await client.LoginAsync();
            var body = $"sasl2 over websocket {Guid.NewGuid():N}";
            var id = await client.SendMessageAsync(new OutgoingMessage(server["bob"].Jid, body));
            var report = await client.DisconnectAsync();
            Assert.Equal([id], report.Acknowledged);
            Assert.Equal(expected, client.Mechanism);
            Assert.Contains("<authenticate xmlns='urn:xmpp:sasl:2'", logger.All, StringComparison.Ordinal);
            await bob.WaitForMessageAsync(m => m.Body == body, Wait);
        }
    }

    [Fact]
    public async Task A_session_that_asks_for_a_resource_or_turns_sasl2_off_uses_sasl_and_bind()
    {
        await using var bob = await ReceiverAsync();
        foreach (var resource in new[] { "pager", null })
        {
            var logger = new RecordingProtocolLogger();
            var options = Options(SecureSocketOptions.DirectTls, new InMemoryFastTokenStore(), logger);
            options.Resource = resource;
            options.UseSasl2 = resource is not null;
            await using var client = new XmppClient(options);
            await client.LoginAsync();
            var body = $"classic {resource} {Guid.NewGuid():N}";
            var id = await client.SendMessageAsync(new OutgoingMessage(server["bob"].Jid, body));
            var report = await client.DisconnectAsync();
            Assert.Equal([id], report.Acknowledged);
            await bob.WaitForMessageAsync(m => m.Body == body, Wait);
            Assert.Contains("C: <auth ", logger.All, StringComparison.Ordinal);
            Assert.DoesNotContain("<authenticate ", logger.All, StringComparison.Ordinal);
            if (resource is not null)
                Assert.Equal(resource, client.BoundJid!.Resource);
        }
    }

    private async Task<SlixmppPeer> ReceiverAsync()
    {
        try
        {
            return await SlixmppPeer.StartAsync(server["bob"].Jid.ToString(), server["bob"].Password, server.Server.Host, server.C2sPort, server.CaPemPath);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException(e.Message + "\nServer log:\n" + server.LogTail(), e);
        }
    }

    private bool _tls12;

    private bool _verifyOff;

    private XmppClientOptions Options(SecureSocketOptions security, IFastTokenStore tokens, RecordingProtocolLogger logger)
    {
        var options = server.Options("alice", security);
        if (_tls12)
            options.SslProtocols = System.Security.Authentication.SslProtocols.Tls12;
        if (_verifyOff)
            options.VerifyCertificate = false;
        options.PipelineLogin = true;
        options.FastTokens = tokens;
        options.ProtocolLogger = logger;
        return options;
    }

    private async Task<(XmppClient Client, string Log)> SendAsync(SecureSocketOptions security, IFastTokenStore tokens, SlixmppPeer bob)
    {
        var logger = new RecordingProtocolLogger();
        var client = new XmppClient(Options(security, tokens, logger));
        await using (client)
        {
            var body = $"sasl2 {security} {Guid.NewGuid():N}";
            string id;
            DeliveryReport report;
            try
            {
                await client.LoginAsync();
                id = await client.SendMessageAsync(new OutgoingMessage(server["bob"].Jid, body));
                report = await client.DisconnectAsync();
            }
            catch (XmppException e)
            {
                throw new InvalidOperationException(e.Message + "\nProtocol log:\n" + logger.All + "\nServer log:\n" + server.LogTail(), e);
            }
            Assert.Equal([id], report.Acknowledged);
            Assert.Empty(report.Unacknowledged);
            var received = await bob.WaitForMessageAsync(m => m.Body == body, Wait);
            Assert.StartsWith(server["alice"].Jid.ToString(), received.From, StringComparison.Ordinal);
            Assert.Equal(server["alice"].Jid, client.BoundJid!.Bare);
            Assert.NotNull(client.BoundJid.Resource);
            Assert.DoesNotContain(server["alice"].Password, logger.All, StringComparison.Ordinal);
        }
        return (client, logger.All);
    }
}
