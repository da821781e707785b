using System.Xml.Linq;
using Xmpp.Client.Xml;

namespace Xmpp.Client.Tests.Xml;

public class XmlStreamWriterTests
{
    private static readonly XNamespace Client = "jabber:client";
    private static readonly XNamespace Streams = "http://etherx.jabber.org/streams";

    [Fact]
    public void Stream_header_has_declaration_namespaces_and_escaped_values()
    {
        var header = XmlStreamWriter.StreamHeader("example.com", "user@example.com");

        Assert.Equal(
            "<?xml version='1.0'?><stream:stream to='example.com' from='user@example.com' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>",
            header);
        Assert.DoesNotContain("from=", XmlStreamWriter.StreamHeader("example.com", null), StringComparison.Ordinal);
        Assert.Contains("to='a&apos;b'", XmlStreamWriter.StreamHeader("a'b", null), StringComparison.Ordinal);
        Assert.Equal("</stream:stream>", XmlStreamWriter.Close);
    }

    [Fact]
    public void Header_and_close_parse_as_a_stream_document()
    {
        var document = XmlStreamWriter.StreamHeader("example.com", null, "fr") + "<presence/>" + XmlStreamWriter.Close;

        var root = XDocument.Parse(document).Root!;

        Assert.Equal(Streams + "stream", root.Name);
        Assert.Equal(Client + "presence", root.Elements().Single().Name);
        Assert.Equal("fr", (string?)root.Attribute(XNamespace.Xml + "lang"));
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a < b > c & d", "a &lt; b &gt; c &amp; d")]
    [InlineData("it's \"quoted\"", "it's \"quoted\"")]
    [InlineData("line1\nline2\ttab\r", "line1\nline2\ttab&#xD;")]
    [InlineData("emoji \U0001F600 and \u4e2d", "emoji \U0001F600 and \u4e2d")]
    public void EscapeText_escapes_markup(string input, string expected) =>
        Assert.Equal(expected, XmlStreamWriter.EscapeText(input));

    [Theory]
    [InlineData("it's \"quoted\" <&>", "it&apos;s &quot;quoted&quot; &lt;&amp;&gt;")]
    [InlineData("a\nb\tc\rd", "a&#xA;b&#x9;c&#xD;d")]
    public void EscapeAttribute_escapes_quotes_and_whitespace(string input, string expected) =>
        Assert.Equal(expected, XmlStreamWriter.EscapeAttribute(input));

    [Fact]
    public void Escaping_clean_text_returns_the_same_instance()
    {
        var text = "nothing to escape here";

        Assert.Same(text, XmlStreamWriter.EscapeText(text));
        Assert.Same(text, XmlStreamWriter.EscapeAttribute(text));
    }

    // Built in code and not enumerated at discovery: attribute arguments and serialized theory data pass through
    // UTF-8, which would turn lone surrogates into U+FFFD.
    public static TheoryData<string> ForbiddenText() =>
    [
        "bell \u0007",
        "nul \0",
        "lone high " + '\uD83D' + " end",
        "lone low " + '\uDE00',
        "noncharacter \uFFFE",
        "trailing high " + '\uD83D',
        "swapped pair " + '\uDE00' + '\uD83D',
    ];

    [Theory]
    [MemberData(nameof(ForbiddenText), DisableDiscoveryEnumeration = true)]
    public void Characters_xml_forbids_are_rejected_naming_the_field(string input)
    {
        var text = Assert.Throws<ArgumentException>(() => XmlStreamWriter.EscapeText(input, "body"));
        var attribute = Assert.Throws<ArgumentException>(() => XmlStreamWriter.EscapeAttribute(input, "subject"));

        Assert.Equal("body", text.ParamName);
        Assert.Contains("body", text.Message, StringComparison.Ordinal);
        Assert.Equal("subject", attribute.ParamName);
    }

    [Fact]
    public void Serialize_writes_stanzas_without_redundant_namespaces()
    {
        var message = new XElement(Client + "message",
            new XAttribute("to", "b@example.com"),
            new XAttribute("type", "chat"),
            new XElement(Client + "body", "hi & bye"),
            new XElement("{urn:xmpp:receipts}request"),
            new XElement("{http://jabber.org/protocol/xhtml-im}html",
                new XElement("{http://www.w3.org/1999/xhtml}body",
                    new XElement("{http://www.w3.org/1999/xhtml}p", "x ", new XElement("{http://www.w3.org/1999/xhtml}b", "y")))));

        var xml = XmlStreamWriter.Serialize(message);

        Assert.Equal(
            "<message to='b@example.com' type='chat'><body>hi &amp; bye</body><request xmlns='urn:xmpp:receipts'/>"
            + "<html xmlns='http://jabber.org/protocol/xhtml-im'><body xmlns='http://www.w3.org/1999/xhtml'><p>x <b>y</b></p></body></html></message>",
            xml);
    }

    [Fact]
    public void Serialize_of_a_parsed_element_drops_original_declarations()
    {
        var parsed = XElement.Parse("<message xmlns='jabber:client' xmlns:foo='urn:foo'><body>x</body></message>");

        Assert.Equal("<message><body>x</body></message>", XmlStreamWriter.Serialize(parsed));
    }

    [Fact]
    public void Serialize_uses_the_stream_prefix_and_declares_child_namespaces()
    {
        var error = new XElement(Streams + "error",
            new XElement("{urn:ietf:params:xml:ns:xmpp-streams}not-well-formed"));

        Assert.Equal(
            "<stream:error><not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>",
            XmlStreamWriter.Serialize(error));
    }

    [Fact]
    public void Serialize_handles_xml_lang_and_namespaced_attributes()
    {
        var element = new XElement(Client + "message",
            new XAttribute(XNamespace.Xml + "lang", "de"),
            new XElement("{urn:x}data", new XAttribute("{urn:attr}flag", "1"), new XAttribute("{urn:attr}other", "2")));

        var xml = XmlStreamWriter.Serialize(element);
        var reparsed = XElement.Parse(xml.Replace("<message", "<message xmlns='jabber:client'", StringComparison.Ordinal));

        Assert.Contains("xml:lang='de'", xml, StringComparison.Ordinal);
        Assert.Equal("1", (string?)reparsed.Element("{urn:x}data")?.Attribute("{urn:attr}flag"));
        Assert.Equal("2", (string?)reparsed.Element("{urn:x}data")?.Attribute("{urn:attr}other"));
    }

    [Fact]
    public void SerializeStandalone_declares_every_namespace()
    {
        var message = new XElement(Client + "message", new XElement(Client + "body", "x"));
        var features = new XElement(Streams + "features", new XElement("{urn:ietf:params:xml:ns:xmpp-bind}bind"));

        Assert.Equal("<message xmlns='jabber:client'><body>x</body></message>", XmlStreamWriter.SerializeStandalone(message));
        Assert.Equal(
            "<stream:features xmlns:stream='http://etherx.jabber.org/streams'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>",
            XmlStreamWriter.SerializeStandalone(features));
    }

    [Fact]
    public void Serialize_rejects_invalid_characters_naming_the_element()
    {
        var message = new XElement(Client + "message", new XElement(Client + "body", "bad \u0001"));
        var attribute = new XElement(Client + "message", new XAttribute("id", "x\uDC00"));

        var textError = Assert.Throws<ArgumentException>(() => XmlStreamWriter.Serialize(message));
        var attributeError = Assert.Throws<ArgumentException>(() => XmlStreamWriter.Serialize(attribute));

        Assert.Contains("<body>", textError.Message, StringComparison.Ordinal);
        Assert.Contains("'id'", attributeError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Serialized_text_round_trips_through_the_parser()
    {
        var tricky = "a<b>&c \"d\" 'e'\r\nf\tg \U0001F600 ]]> &amp;";
        var element = new XElement(Client + "message", new XAttribute("id", tricky), new XElement(Client + "body", tricky));

        var parsed = XmlFragment.ParseElement(XmlStreamWriter.Serialize(element), 4096, "jabber:client");

        Assert.Equal(tricky, (string?)parsed.Attribute("id"));
        Assert.Equal(tricky, parsed.Element(Client + "body")?.Value);
    }

    [Fact]
    public void Comments_are_not_sent()
    {
        var element = new XElement(Client + "message", new XComment("secret"), new XElement(Client + "body", "x"));

        Assert.Equal("<message><body>x</body></message>", XmlStreamWriter.Serialize(element));
    }
}
