namespace Xmpp.Notifications.Tests.Notifier;

/// <summary>Its own server, because these tests stop it.</summary>
public sealed class NotifierRestartTests(NotifierFixture server) : IClassFixture<NotifierFixture>
{
    [Fact]
    public async Task Retry_delivers_after_the_server_comes_back_and_the_message_arrives_once()
    {
        var body = $"after restart {Guid.NewGuid():N}";
        await server.Server.StopAsync();
        var delivery = server.Notifier().NotifyAsync([server.Url("alice", "bob", "retry=10&wait=0.5")], [new Notification(null, body)], default);
        await server.Server.StartAgainAsync();
        var result = await delivery.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(result.Success, result.Describe());
        // bob was offline: the server stored the message, and he gets it (once) when he logs in.
        await using var bob = await server.ReceiverAsync("bob");
        var received = await bob.WaitForAsync(m => m.Body == body);
        Assert.True(received.IsDelayed);
        await bob.PingAsync();
        Assert.False(bob.Messages.TryPeek(out var duplicate) && duplicate.Body == body, "the message arrived twice");
    }
}
