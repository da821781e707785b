using Xmpp.Notifications.Contracts;
using Xmpp.Notifications.Contracts.Requests;

namespace Xmpp.Notifications.Tests.Contracts;

/// <summary>Explicit stanza ids and extension XML through the JSON contract and the stanza parser.</summary>
public class RawPayloadTests
{
    [Fact]
    public void Json_carries_an_id_and_extension_xml_and_writes_them_back()
    {
        var message = Assert.Single(XmppMessageJson.Parse("""{"Body":"x","Id":"deploy-42","ExtensionXml":"<alert xmlns='urn:example:alerts' severity='page'><!-- c --><host>db1</host></alert>"}"""));
        Assert.Equal("deploy-42", message.Id);
        var alert = System.Xml.Linq.XElement.Parse(message.ExtensionXml!);
        Assert.Equal(System.Xml.Linq.XName.Get("alert", "urn:example:alerts"), alert.Name);
        Assert.Equal("page", (string?)alert.Attribute("severity"));
        Assert.Equal("<host xmlns=\"urn:example:alerts\">db1</host>", Assert.Single(alert.Nodes()).ToString()); // the comment is gone
        var again = Assert.Single(XmppMessageJson.Parse(XmppMessageJson.Serialize(message)));
        Assert.Equal((message.Id, message.ExtensionXml), (again.Id, again.ExtensionXml));
    }

    [Theory]
    [InlineData("<x/>", "no namespace of its own")]
    [InlineData("<body xmlns='jabber:client'>sneaky</body>", "no namespace of its own")]
    [InlineData("<request xmlns='urn:xmpp:receipts'/>", "writes itself")]
    [InlineData("<html xmlns='http://jabber.org/protocol/xhtml-im'/>", "writes itself")]
    [InlineData("text<a xmlns='urn:a'/>", "only elements")]
    [InlineData("<a xmlns='urn:a'>", "not well-formed")]
    [InlineData("<!DOCTYPE a [<!ENTITY e 'x'>]><a xmlns='urn:a'>&e;</a>", "extensionXml")]
    [InlineData("", "no element")]
    public void Bad_extension_xml_is_rejected_naming_the_property(string xml, string expected)
    {
        var json = $$"""{"body":"x","extensionXml":{{System.Text.Json.JsonSerializer.Serialize(xml)}}}""";
        var e = Assert.Throws<NotificationFormatException>(() => XmppMessageJson.Parse(json));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Contains("extensionXml", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Extension_xml_is_size_bounded()
    {
        var big = "<a xmlns='urn:a'>" + new string('x', ExtensionXml.MaxBytes) + "</a>";
        var e = Assert.Throws<NotificationFormatException>(() => ExtensionXml.Validate(big, "The message"));
        Assert.Contains("16 KiB", e.Message, StringComparison.Ordinal);
        var many = string.Concat(Enumerable.Repeat("<a xmlns='urn:a'/>", ExtensionXml.MaxElements + 1));
        Assert.Throws<NotificationFormatException>(() => ExtensionXml.Validate(many, "The message"));
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("")]
    [InlineData("tab\there")]
    public void Bad_ids_are_rejected(string id)
    {
        var json = $$"""{"body":"x","id":{{System.Text.Json.JsonSerializer.Serialize(id)}}}""";
        var e = Assert.Throws<NotificationFormatException>(() => XmppMessageJson.Parse(json));
        Assert.Contains("id", e.Message, StringComparison.Ordinal);
        Assert.Throws<NotificationFormatException>(() => ExtensionXml.ValidateId(new string('a', ExtensionXml.MaxIdLength + 1), "x"));
    }

    [Fact]
    public void A_posted_stanza_keeps_its_id_and_custom_children_but_not_what_the_notifier_writes()
    {
        var message = Assert.Single(MessageStanza.Parse("""
            <message xmlns='jabber:client' to='bob@example.org' id='abc-1' type='chat'>
              <body>hi</body>
              <request xmlns='urn:xmpp:receipts'/>
              <alert xmlns='urn:example:alerts' severity='page'/>
              <thread>t1</thread>
            </message>
            """));
        Assert.Equal("abc-1", message.Id);
        var alert = System.Xml.Linq.XElement.Parse(message.ExtensionXml!);
        Assert.Equal(System.Xml.Linq.XName.Get("alert", "urn:example:alerts"), alert.Name);
        Assert.Equal("page", (string?)alert.Attribute("severity"));
    }
}
