namespace Xmpp.Notifications.Tests.Notifier;

/// <summary>Explicit stanza ids and extension XML arrive as sent, checked by slixmpp sessions.</summary>
public sealed class RawPayloadDeliveryTests(NotifierFixture server) : IClassFixture<NotifierFixture>
{
    [Fact]
    public async Task The_id_and_the_extension_elements_reach_every_target()
    {
        await using var bob = await server.IndependentReceiverAsync("bob");
        await using var carol = await server.IndependentReceiverAsync("carol");
        var id = "deploy-" + Guid.NewGuid().ToString("N");
        var notification = new Notification(null, "with extension")
        {
            Id = id,
            ExtensionXml = "<alert xmlns='urn:example:alerts' severity='page'><host>db1</host></alert>",
        };

        var result = await server.Notifier().NotifyAsync([server.Url("alice", "bob/carol")], [notification], default);

        Assert.True(result.Success, result.Describe());
        var atBob = await bob.WaitForMessageAsync(m => m.Id == id, TimeSpan.FromSeconds(10));
        var atCarol = await carol.WaitForMessageAsync(m => m.Id == id + "-2", TimeSpan.FromSeconds(10));
        foreach (var received in new[] { atBob, atCarol })
        {
            var stanza = System.Xml.Linq.XElement.Parse(received.Stanza!);
            var alert = Assert.Single(stanza.Elements(System.Xml.Linq.XName.Get("alert", "urn:example:alerts")));
            Assert.Equal("page", (string?)alert.Attribute("severity"));
            Assert.Equal("db1", alert.Elements().Single().Value);
        }
    }

    [Fact]
    public async Task Extension_xml_the_stanza_cannot_carry_fails_that_message_only()
    {
        await using var bob = await server.IndependentReceiverAsync("bob");
        var good = "fine " + Guid.NewGuid().ToString("N");
        var result = await server.Notifier().NotifyAsync([server.Url("alice", "bob")],
            [new Notification(null, "broken") { ExtensionXml = "<a xmlns='urn:a'>" }, new Notification(null, good)], default);
        Assert.False(result.Success);
        var targets = result.Urls[0].Targets;
        Assert.Equal(TargetStatus.Failed, targets[0].Status);
        Assert.Contains("not well-formed", targets[0].Error, StringComparison.Ordinal);
        Assert.Equal(TargetStatus.Delivered, targets[1].Status);
        await bob.WaitForMessageAsync(m => m.Body == good, TimeSpan.FromSeconds(10));
    }
}
