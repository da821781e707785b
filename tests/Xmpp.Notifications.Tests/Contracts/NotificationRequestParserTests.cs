using System.Text;
using Xmpp.Notifications.Contracts.Requests;
using Xmpp.Notifications.Contracts;

namespace Xmpp.Notifications.Tests.Contracts;

public class NotificationRequestParserTests
{
    private static IReadOnlyList<XmppMessage> Parse(string? contentType, string body) =>
        NotificationRequestParser.Parse(contentType, Encoding.UTF8.GetBytes(body));

    private static string Rejection(string? contentType, byte[] body) =>
        Assert.Throws<NotificationFormatException>(() => NotificationRequestParser.Parse(contentType, body)).Message;

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("Application/JSON;charset=\"UTF-8\"")]
    [InlineData("application/vnd.notify+json")]
    public void JsonContentTypes(string contentType)
    {
        var message = Assert.Single(Parse(contentType, """{"title":"Disk","body":"90% full"}"""));

        Assert.Equal(("Disk", "90% full"), (message.Title, message.Body));
    }

    [Fact]
    public void PlainTextIsAllBodyWithoutTitle()
    {
        var message = Assert.Single(Parse("text/plain; charset=utf-8", "Backup failed\nsee log\n"));

        Assert.Null(message.Title);
        Assert.Equal("Backup failed\nsee log", message.Body);
        Assert.Equal("text", message.Format);
    }

    [Theory]
    [InlineData(null, "  {\"body\":\"j\"}", "j", null)]
    [InlineData("", "[{\"body\":\"j\"}]", "j", null)]
    [InlineData(null, "<message><body>x</body></message>", "x", null)]
    [InlineData(null, "hello <b>", "hello <b>", "text")]
    [InlineData("text/markdown", "*hi*", "*hi*", "markdown")]
    public void MissingContentTypeIsSniffed(string? contentType, string body, string expectedBody, string? expectedFormat)
    {
        var message = Assert.Single(Parse(contentType, body));

        Assert.Equal((expectedBody, expectedFormat), (message.Body, message.Format));
    }

    [Theory]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/octet-stream")]
    [InlineData(null)]
    public void CurlDataBinaryBodiesAreRecognised(string? contentType)
    {
        // curl --data-binary without -H sends application/x-www-form-urlencoded.
        Assert.Equal("bob@example.org", Assert.Single(Parse(contentType, "<message to=\"bob@example.org\"><body>yo</body></message>")).To);
        Assert.Equal("yo", Assert.Single(Parse(contentType, "{\"body\":\"yo\"}")).Body);
        Assert.Equal("yo", Assert.Single(Parse(contentType, " [{\"body\":\"yo\"}]")).Body);
    }

    [Fact]
    public void FormFieldsAreModPostMsgs()
    {
        var message = Assert.Single(Parse("application/x-www-form-urlencoded", "to=bob%40example.org&type=headline&body=Server+%26+host+crashed%21"));

        Assert.Equal(("bob@example.org", "headline", "Server & host crashed!", null), (message.To, message.Type, message.Body, message.Title));
    }

    [Theory]
    [InlineData("to=bob&colour=red&body=x", "The form field \"colour\" is not known")]
    [InlineData("to=bob", "The form has no body field")]
    [InlineData("body=a&body=b", "is given twice")]
    [InlineData("body=x&type=shout", "type")]
    public void BadFormsAreNamed(string form, string expected)
    {
        Assert.Contains(expected, Rejection("application/x-www-form-urlencoded", Encoding.UTF8.GetBytes(form)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("multipart/form-data; boundary=x", "Content-Type \"multipart/form-data\" is not supported; send one of application/json")]
    [InlineData("application/octet-stream", "Content-Type \"application/octet-stream\" is accepted only for a <message> stanza or JSON")]
    [InlineData("text/plain; charset=iso-8859-1", "The charset \"iso-8859-1\"")]
    public void UnsupportedContentTypesAreNamed(string contentType, string expected)
    {
        Assert.Contains(expected, Rejection(contentType, "x"u8.ToArray()), StringComparison.Ordinal);
    }

    [Fact]
    public void EmptyAndWhitespaceBodiesAreRejected()
    {
        Assert.Equal("The request body is empty; send a notification.", Rejection("text/plain", []));
        Assert.Contains("only whitespace", Rejection("text/plain", " \n "u8.ToArray()), StringComparison.Ordinal);
    }

    [Fact]
    public void OneMegabyteIsRejectedBeforeParsing()
    {
        var body = new byte[1024 * 1024];
        Array.Fill(body, (byte)'a');

        Assert.Equal("The payload is 1,048,576 bytes; the limit is 262,144 bytes (256 KiB).", Rejection("text/plain", body));
    }

    [Fact]
    public void InvalidUtf8IsReportedWithItsOffset()
    {
        byte[] body = [.. "{\"body\":\n\"caf"u8, 0xC3, 0x28, .. "\"}"u8];

        var message = Rejection("application/json", body);

        Assert.Equal("The body is not valid UTF-8: byte 0xC3 at offset 13 does not form a character; send UTF-8 text. (line 2, position 5)", message);
        Assert.Contains("not valid UTF-8", Rejection("text/plain", [0x41, 0xFF]), StringComparison.Ordinal);
    }

    [Fact]
    public void BillionLaughsIsRejectedAsDtd()
    {
        const string xml = """
            <?xml version="1.0"?>
            <!DOCTYPE lolz [
              <!ENTITY lol "lol">
              <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
              <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
            ]>
            <message><body>&lol3;</body></message>
            """;

        var ex = Assert.Throws<NotificationFormatException>(() => Parse("application/xml", xml));

        Assert.StartsWith("The XML contains a document type declaration (<!DOCTYPE>); DTDs and entity declarations are not allowed", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, ex.Line);
    }

    [Fact]
    public void ExternalEntityIsRejected()
    {
        const string xml = """<!DOCTYPE m [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><message><body>&xxe;</body></message>""";

        Assert.Contains("DTDs and entity declarations are not allowed", Rejection("text/xml", Encoding.UTF8.GetBytes(xml)), StringComparison.Ordinal);
    }

    [Fact]
    public void UndeclaredEntityIsRejected()
    {
        var message = Rejection("application/xmpp+xml", "<message><body>&xxe;</body></message>"u8.ToArray());

        Assert.StartsWith("The XML uses an undeclared entity; only &amp; &lt; &gt; &quot; &apos; and character references", message, StringComparison.Ordinal);
    }

    [Fact]
    public void DeepXmlIsRejected()
    {
        var xml = "<message><body>x</body><x>" + string.Concat(Enumerable.Repeat("<a>", 100)) + string.Concat(Enumerable.Repeat("</a>", 100)) + "</x></message>";

        Assert.Contains("nested more than 32 elements deep", Rejection("application/xml", Encoding.UTF8.GetBytes(xml)), StringComparison.Ordinal);
    }

    [Fact]
    public void MalformedXmlSaysWhere()
    {
        var ex = Assert.Throws<NotificationFormatException>(() => Parse("application/xml", "<message>\n<body>x</bdy></message>"));

        Assert.StartsWith("The XML is not well-formed:", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, ex.Line);
    }
}
