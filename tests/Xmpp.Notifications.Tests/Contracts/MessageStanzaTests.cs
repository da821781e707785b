using System.Text;
using Xmpp.Notifications.Contracts.Requests;
using Xmpp.Notifications.Contracts;

namespace Xmpp.Notifications.Tests.Contracts;

public class MessageStanzaTests
{
    private static IReadOnlyList<XmppMessage> Post(string xml) =>
        NotificationRequestParser.Parse("application/xmpp+xml", Encoding.UTF8.GetBytes(xml));

    [Fact]
    public void BodySubjectTypeAndTo()
    {
        var message = Assert.Single(Post("""
            <message xmlns='jabber:client' to='bob@example.org' type='headline'>
              <subject>Build</subject>
              <body xml:lang='de'>fertig</body>
              <body>done &amp; dusted</body>
            </message>
            """));

        Assert.Equal(("bob@example.org", "Build", "done & dusted", "headline", null), (message.To, message.Title, message.Body, message.Type, message.Format));
    }

    [Fact]
    public void GroupchatTargetsTheRoom()
    {
        var message = Assert.Single(Post("<message to='ops@conference.example.org' type='groupchat'><body>hi</body></message>"));

        Assert.Equal("#ops@conference.example.org", message.To);
        Assert.Null(message.Type);
    }

    [Fact]
    public void ExtendedStanzaAddressesBecomeBlindCopies()
    {
        var messages = Post("""
            <message to='alice@example.org' xmlns='jabber:client'>
              <addresses xmlns='http://jabber.org/protocol/address'>
                <address type='to' jid='hildjj@jabber.org/Work' desc='Joe Hildebrand'/>
                <address type='cc' jid='jer@jabber.org/Home'/>
                <address type='bcc' jid='ALICE@example.org'/>
                <address type='bcc' jid='secret@example.org'/>
                <address type='to' jid='done@example.org' delivered='true'/>
                <address type='replyto' jid='noreply@example.org'/>
              </addresses>
              <body>Hello</body>
            </message>
            """);

        // XEP-0033 §4: the outer 'to' is the multicast service, so alice gets only her bcc copy.
        Assert.Equal(["hildjj@jabber.org/Work", "jer@jabber.org/Home", "ALICE@example.org", "secret@example.org"], messages.Select(m => m.To));
        Assert.All(messages, m => Assert.Equal("Hello", m.Body));
        Assert.Equal(4, messages.Select(m => m).Distinct().Count());
    }

    [Fact]
    public void HttpMessageMulticastFormWithoutNamespaceOrTypeIsBlindCopies()
    {
        // The form the http_message API documents: to='multicast', <addresses> in the stanza's namespace, no type.
        var messages = NotificationRequestParser.Parse("application/x-www-form-urlencoded", Encoding.UTF8.GetBytes(
            "<message to=\"multicast\"><addresses><address jid=\"andy@im.example.com\"/><address jid=\"skeltoac@example.net\"/></addresses><body>yo</body></message>"));

        Assert.Equal(["andy@im.example.com", "skeltoac@example.net"], messages.Select(m => m.To));
        Assert.All(messages, m => Assert.Equal("yo", m.Body));
    }

    [Fact]
    public void UnnamespacedAddressesInJabberClientAreReadToo()
    {
        var messages = Post("<message xmlns='jabber:client' to='multicast.example.org'><addresses><address jid='a@x'/><address type='cc' jid='b@x'/></addresses><body>yo</body></message>");

        Assert.Equal(["a@x", "b@x"], messages.Select(m => m.To));
    }

    [Fact]
    public void AddressesWithNobodyToSendToAreRejected()
    {
        var ex = Assert.Throws<NotificationFormatException>(() => Post("""
            <message to='multicast'><addresses xmlns='http://jabber.org/protocol/address'>
            <address type='to' jid='a@x' delivered='true'/><address type='replyto' jid='b@x'/>
            </addresses><body>x</body></message>
            """));

        Assert.Contains("none of them is a recipient", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Xep0033AddressStillNeedsAType()
    {
        var ex = Assert.Throws<NotificationFormatException>(() => Post("<message><addresses xmlns='http://jabber.org/protocol/address'><address jid='a@x'/></addresses><body>x</body></message>"));

        Assert.Contains("has no type attribute", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddressWithoutJidIsRejected()
    {
        var ex = Assert.Throws<NotificationFormatException>(() => Post("""
            <message><addresses xmlns='http://jabber.org/protocol/address'>
            <address type='to' jid='a@x'/>
            <address type='cc' uri='mailto:a@b.c'/>
            </addresses><body>x</body></message>
            """));

        Assert.Equal("<address> 2 of <addresses> (type cc) has uri \"mailto:a@b.c\" but no jid; only XMPP addresses can be delivered. (line 3, position 2)", ex.Message);
    }

    [Fact]
    public void XhtmlImBodyBecomesHtml()
    {
        var message = Assert.Single(Post("""
            <message to='bob@x'>
              <body>plain fallback</body>
              <html xmlns='http://jabber.org/protocol/xhtml-im'>
                <body xmlns='http://www.w3.org/1999/xhtml'><p>Disk <strong>full</strong> on <a href='https://h/x?a=1&amp;b=2'>h</a></p></body>
              </html>
            </message>
            """));

        Assert.Equal("html", message.Format);
        Assert.Equal("<p>Disk <strong>full</strong> on <a href=\"https://h/x?a=1&amp;b=2\">h</a></p>", message.Body);
    }

    [Theory]
    [InlineData("<iq type='get'/>", "Expected a <message> stanza (namespace jabber:client), but the root element is <iq>.")]
    [InlineData("<message type='error'><body>x</body></message>", "The <message> type \"error\" cannot be sent")]
    [InlineData("<message to='a@b'><thread>t</thread></message>", "The <message> stanza has neither a <body> nor a <subject>")]
    public void Rejections(string xml, string expected)
    {
        var ex = Assert.Throws<NotificationFormatException>(() => Post(xml));

        Assert.StartsWith(expected, ex.Message, StringComparison.Ordinal);
    }
}
