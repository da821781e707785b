namespace Xmpp.Client.Tests.Session;

/// <summary>XEP-0359: a message may carry an origin-id that stays the same when it is sent again.</summary>
public sealed class OriginIdTests
{
    [Fact]
    public void An_origin_id_is_written_after_the_body_with_its_namespace()
    {
        var xml = Stanzas.MessageXml(new OutgoingMessage(Jid.Parse("bob@example.org"), "hi") { OriginId = "m-1'<" }, "m-1");

        Assert.Equal("<message to='bob@example.org' type='chat' id='m-1'><body>hi</body><origin-id xmlns='urn:xmpp:sid:0' id='m-1&apos;&lt;'/></message>", xml);
    }

    [Fact]
    public void Without_an_origin_id_none_is_written()
    {
        var xml = Stanzas.MessageXml(new OutgoingMessage(Jid.Parse("bob@example.org"), "hi"), "m-1");

        Assert.DoesNotContain("origin-id", xml, StringComparison.Ordinal);
    }
}
