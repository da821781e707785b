using System.Security.Authentication;

namespace Xmpp.Client.Tests.Integration;

/// <summary>ejabberd offers what Prosody 0.12 lacks here: SCRAM-SHA-256 and its -PLUS variant.</summary>
public sealed class EjabberdTests(EjabberdFixture server) : IClassFixture<EjabberdFixture>
{
    [Fact]
    public async Task Scram_sha256_plus_over_tls12_delivers()
    {
        await using var receiver = await server.ReceiverAsync("bob");
        var options = server.Options("alice");
        options.SslProtocols = SslProtocols.Tls12;
        await using var client = new XmppClient(options);
        await client.LoginAsync();
        Assert.Equal("SCRAM-SHA-256-PLUS", client.Mechanism);
        var body = $"from ejabberd {Guid.NewGuid():N}";
        var id = await client.SendMessageAsync(new OutgoingMessage(server["bob"].Jid, body));
        var report = await client.DisconnectAsync();
        Assert.Equal([id], report.Acknowledged);
        Assert.Equal(body, (await receiver.WaitForAsync(m => m.Id == id)).Body);
    }

    [Fact]
    public async Task Tls13_without_advertised_binding_types_uses_scram_sha256_without_plus()
    {
        // ejabberd rejects tls-server-end-point and advertises no XEP-0440 types: -PLUS would fail with
        // "Invalid channel binding", which is the complaint Apprise users meet. The client avoids it.
        await using var client = new XmppClient(server.Options("alice"));
        await client.LoginAsync();
        Assert.Equal("SCRAM-SHA-256", client.Mechanism);
    }

    [Fact]
    public async Task Groupchat_on_ejabberd_is_reflected_and_received()
    {
        var room = Jid.Parse($"ops-{Guid.NewGuid():N}@{server.MucDomain}");
        await using var listener = await server.ReceiverAsync("bob");
        await listener.JoinRoomAsync(room, "bob");
        await using var sender = new XmppClient(server.Options("alice"));
        await sender.LoginAsync();
        await sender.JoinRoomAsync(room, "alerts");
        var body = $"room {Guid.NewGuid():N}";
        await sender.SendMessageAsync(new OutgoingMessage(room, body) { Type = MessageType.Groupchat });
        var report = await sender.DisconnectAsync();
        Assert.True(report.AllDelivered, $"report: {report}");
        await listener.WaitForAsync(m => m.Body == body);
    }
}
