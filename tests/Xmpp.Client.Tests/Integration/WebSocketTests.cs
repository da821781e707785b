namespace Xmpp.Client.Tests.Integration;

public sealed class WebSocketTests(ProsodyFixture server) : IClassFixture<ProsodyFixture>
{
    [Fact]
    public async Task Websocket_transport_logs_in_and_delivers()
    {
        await using var receiver = await server.ReceiverAsync("bob");
        var options = server.Options("alice", SecureSocketOptions.None);
        options.WebSocketUri = new Uri($"ws://127.0.0.1:{server.HttpPort}/xmpp-websocket");
        await using var client = new XmppClient(options);
        await client.LoginAsync();
        Assert.True(client.IsStreamManagementEnabled);
        var body = $"over websocket {Guid.NewGuid():N}";
        var id = await client.SendMessageAsync(new OutgoingMessage(server["bob"].Jid, body));
        var report = await client.DisconnectAsync();
        Assert.Equal([id], report.Acknowledged);
        Assert.Equal(body, (await receiver.WaitForAsync(m => m.Id == id)).Body);
    }
}
