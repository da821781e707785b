using System.Security.Authentication;
using System.Xml.Linq;

namespace Xmpp.Client.Tests.Integration;

/// <summary>Against a real Prosody: every message is checked by a second, separate session that must receive it.</summary>
public sealed class ProsodyDeliveryTests(ProsodyFixture server) : IClassFixture<ProsodyFixture>
{
    private static string Unique(string text) => $"{text} {Guid.NewGuid():N}";

    private async Task<(DeliveryReport Report, ReceivedMessage Received, XmppClient Sender)> SendAndReceiveAsync(
        XmppClientOptions senderOptions, Func<XmppClient, Jid> target, OutgoingMessage template, string? receiverResource = null)
    {
        await using var receiver = await server.ReceiverAsync("bob", receiverResource);
        var sender = new XmppClient(senderOptions);
        await sender.LoginAsync();
        var message = template with { To = target(receiver) };
        var id = await sender.SendMessageAsync(message);
        var report = await sender.DisconnectAsync();
        var received = await receiver.WaitForAsync(m => m.Id == id);
        return (report, received, sender);
    }

    [Fact]
    public async Task StartTls_chat_to_bare_jid_is_acknowledged_and_received()
    {
        var body = Unique("hello over STARTTLS");
        var logger = new RecordingProtocolLogger();
        var options = server.Options("alice");
        options.ProtocolLogger = logger;

        var (report, received, sender) = await SendAndReceiveAsync(options, _ => server["bob"].Jid, new OutgoingMessage(server["bob"].Jid, body));

        Assert.True(report.AllDelivered, $"report: {report}");
        Assert.Single(report.Acknowledged);
        Assert.Equal(body, received.Body);
        Assert.Equal(MessageType.Chat, received.Type);
        Assert.Equal(server["alice"].Jid, received.From!.Bare);
        Assert.True(sender.IsEncrypted);
        Assert.True(sender.IsStreamManagementEnabled);
        // The acknowledgement really came from the server as an XEP-0198 <a h='1'/>.
        Assert.Contains(logger.Lines, l => l.StartsWith("S: <a ", StringComparison.Ordinal)
            && XElement.Parse(l[3..]) is var ack && ack.Name == XName.Get("a", "urn:xmpp:sm:3") && (string?)ack.Attribute("h") == "1");
        Assert.DoesNotContain(server["alice"].Password, logger.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Direct_tls_delivers()
    {
        var body = Unique("hello over direct TLS");
        var (report, received, sender) = await SendAndReceiveAsync(server.Options("alice", SecureSocketOptions.DirectTls), _ => server["bob"].Jid,
            new OutgoingMessage(server["bob"].Jid, body));
        Assert.True(report.AllDelivered);
        Assert.Equal(body, received.Body);
        Assert.True(sender.IsEncrypted);
    }

    [Fact]
    public async Task Tls12_uses_scram_plus_with_tls_unique_channel_binding()
    {
        var options = server.Options("alice");
        options.SslProtocols = SslProtocols.Tls12;
        await using var client = new XmppClient(options);
        await client.LoginAsync();
        Assert.Equal("SCRAM-SHA-1-PLUS", client.Mechanism);
        await client.DisconnectAsync();
    }

    [Fact]
    public async Task Scramplus_off_uses_plain_scram()
    {
        var options = server.Options("alice");
        options.SslProtocols = SslProtocols.Tls12;
        options.AllowChannelBinding = false;
        await using var client = new XmppClient(options);
        await client.LoginAsync();
        Assert.Equal("SCRAM-SHA-1", client.Mechanism);
    }

    [Fact]
    public async Task Chat_to_full_jid_reaches_that_resource()
    {
        var body = Unique("to the phone");
        var (report, received, _) = await SendAndReceiveAsync(server.Options("alice"), r => r.BoundJid!, new OutgoingMessage(server["bob"].Jid, body), receiverResource: "phone");
        Assert.True(report.AllDelivered);
        Assert.Equal("phone", received.To!.Resource);
        Assert.Equal(body, received.Body);
    }

    [Theory]
    [InlineData(MessageType.Headline)]
    [InlineData(MessageType.Normal)]
    public async Task Headline_and_normal_types_arrive_with_their_type(MessageType type)
    {
        var body = Unique(type.ToString());
        var (report, received, _) = await SendAndReceiveAsync(server.Options("alice"), r => r.BoundJid!,
            new OutgoingMessage(server["bob"].Jid, body) { Type = type, Subject = "Disk full" });
        Assert.True(report.AllDelivered);
        Assert.Equal(type, received.Type);
        Assert.Equal("Disk full", received.Subject);
    }

    [Fact]
    public async Task Xhtml_im_body_arrives_alongside_the_plain_body()
    {
        var body = Unique("bold move");
        var (report, received, _) = await SendAndReceiveAsync(server.Options("alice"), _ => server["bob"].Jid,
            new OutgoingMessage(server["bob"].Jid, body) { XhtmlBody = "<p><strong>bold</strong> move &amp; <em>more</em></p>" });
        Assert.True(report.AllDelivered);
        Assert.Equal(body, received.Body);
        var html = XElement.Parse(received.XhtmlBody!);
        Assert.Equal("http://www.w3.org/1999/xhtml", html.Name.NamespaceName);
        Assert.Equal("bold", html.Descendants(XName.Get("strong", "http://www.w3.org/1999/xhtml")).Single().Value);
    }

    [Fact]
    public async Task Malformed_extension_xml_is_refused_before_sending()
    {
        await using var client = new XmppClient(server.Options("alice"));
        await client.LoginAsync();
        var error = await Assert.ThrowsAsync<ArgumentException>(() => client.SendMessageAsync(
            new OutgoingMessage(server["bob"].Jid, "x") { ExtensionXml = "<x xmlns='urn:example'><unclosed></x>" }));
        Assert.Contains("ExtensionXml", error.Message, StringComparison.Ordinal);
        var report = await client.DisconnectAsync();
        Assert.Empty(report.Unacknowledged);
    }

    [Fact]
    public async Task Groupchat_reaches_another_occupant_and_is_reflected()
    {
        var room = Jid.Parse($"ops-{Guid.NewGuid():N}@{server.MucDomain}");
        await using var listener = await server.ReceiverAsync("bob");
        await listener.JoinRoomAsync(room, "bob");

        var sender = new XmppClient(server.Options("alice"));
        await sender.LoginAsync();
        var joined = await sender.JoinRoomAsync(room, "alerts");
        Assert.Equal("alerts", joined.Nickname);
        var body = Unique("deploy finished");
        var id = await sender.SendMessageAsync(new OutgoingMessage(room, body) { Type = MessageType.Groupchat });
        var report = await sender.DisconnectAsync();

        Assert.True(report.AllDelivered, $"report: {report}");
        var received = await listener.WaitForAsync(m => m.Body == body);
        Assert.Equal(MessageType.Groupchat, received.Type);
        Assert.Equal("alerts", received.Nickname);
        Assert.Equal(id, received.Id);
    }

    [Fact]
    public async Task Nickname_conflict_joins_with_a_suffix()
    {
        var room = Jid.Parse($"conflict-{Guid.NewGuid():N}@{server.MucDomain}");
        await using var first = await server.ReceiverAsync("bob");
        await first.JoinRoomAsync(room, "alerts");
        await using var second = new XmppClient(server.Options("carol"));
        await second.LoginAsync();
        var joined = await second.JoinRoomAsync(room, "alerts");
        Assert.Equal("alerts_2", joined.Nickname);
    }

    [Fact]
    public async Task Groupchat_to_a_room_not_joined_bounces()
    {
        var room = Jid.Parse($"notjoined-{Guid.NewGuid():N}@{server.MucDomain}");
        await using var occupant = await server.ReceiverAsync("bob");
        await occupant.JoinRoomAsync(room, "bob");
        await using var outsider = new XmppClient(server.Options("alice"));
        await outsider.LoginAsync();
        await outsider.SendMessageAsync(new OutgoingMessage(room, "let me in") { Type = MessageType.Groupchat });
        var report = await outsider.DisconnectAsync();
        Assert.False(report.AllDelivered);
        var bounce = Assert.Single(report.Bounced);
        Assert.Equal("not-acceptable", bounce.Error.Condition);
    }

    [Fact]
    public async Task Message_to_unknown_user_bounces_and_is_not_reported_delivered()
    {
        await using var client = new XmppClient(server.Options("alice"));
        await client.LoginAsync();
        var id = await client.SendMessageAsync(new OutgoingMessage(Jid.Parse($"nobody@{server.Domain}"), "anyone?"));
        var report = await client.DisconnectAsync();
        var bounce = Assert.Single(report.Bounced);
        Assert.Equal(id, bounce.Id);
        Assert.Equal("service-unavailable", bounce.Error.Condition);
        Assert.Empty(report.Acknowledged);
    }

    [Fact]
    public async Task Wrong_password_is_an_authentication_error_that_does_not_show_the_password()
    {
        const string wrong = "definitely-Wrong-Secret-42";
        await using var client = new XmppClient(server.Options("alice", password: wrong));
        var error = await Assert.ThrowsAsync<XmppAuthenticationException>(() => client.LoginAsync());
        Assert.Equal("not-authorized", error.Condition);
        Assert.DoesNotContain(wrong, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Untrusted_certificate_fails_and_verify_off_connects()
    {
        var strict = server.Options("alice");
        strict.TrustedRoots = null;
        await using (var client = new XmppClient(strict))
        {
            var error = await Assert.ThrowsAsync<XmppTlsException>(() => client.LoginAsync());
            Assert.Contains("not trusted", error.Message, StringComparison.Ordinal);
        }

        var relaxed = server.Options("alice");
        relaxed.TrustedRoots = null;
        relaxed.VerifyCertificate = false;
        await using var ok = new XmppClient(relaxed);
        await ok.LoginAsync();
        Assert.True(ok.IsAuthenticated);
    }

    [Fact]
    public async Task Certificate_for_another_name_is_refused()
    {
        // The JID domain decides the expected certificate name, whatever host we connect to.
        var options = new XmppClientOptions(Jid.Parse("alice@other.test"), "x")
        {
            ConnectHost = "127.0.0.1",
            Port = server.DirectTlsPort,
            Security = SecureSocketOptions.DirectTls,
            TrustedRoots = [server.Ca],
        };
        await using var client = new XmppClient(options);
        var error = await Assert.ThrowsAsync<XmppTlsException>(() => client.LoginAsync());
        Assert.Contains("other.test", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_domain_is_a_stream_error_host_unknown()
    {
        var options = new XmppClientOptions(Jid.Parse("alice@unknown.test"), "x")
        {
            ConnectHost = "127.0.0.1",
            Port = server.C2sPort,
        };
        await using var client = new XmppClient(options);
        var error = await Assert.ThrowsAsync<XmppStreamErrorException>(() => client.LoginAsync());
        Assert.Equal("host-unknown", error.Condition);
    }

    [Fact]
    public async Task Ping_answers()
    {
        await using var client = new XmppClient(server.Options("alice"));
        await client.LoginAsync();
        var rtt = await client.PingAsync();
        Assert.True(rtt > TimeSpan.Zero);
    }

    [Fact]
    public async Task Many_messages_in_one_session_are_all_acknowledged()
    {
        await using var receiver = await server.ReceiverAsync("bob");
        await using var client = new XmppClient(server.Options("alice"));
        await client.LoginAsync();
        var tag = Guid.NewGuid().ToString("N");
        for (var i = 0; i < 200; i++)
            await client.SendMessageAsync(new OutgoingMessage(server["bob"].Jid, $"{tag} {i}"));
        var report = await client.DisconnectAsync();
        Assert.Equal(200, report.Acknowledged.Count);
        await receiver.WaitForAsync(m => m.Body == $"{tag} 199");
    }
}
