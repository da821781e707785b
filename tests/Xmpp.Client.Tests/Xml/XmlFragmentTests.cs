using System.Xml.Linq;
using Xmpp.Client.Xml;

namespace Xmpp.Client.Tests.Xml;

public class XmlFragmentTests
{
    private const string Xhtml = "http://www.w3.org/1999/xhtml";

    [Fact]
    public void ParseElement_reads_one_websocket_frame()
    {
        var element = XmlFragment.ParseElement("<message xmlns='jabber:client' to='a@b'><body>hi</body></message>", 1024);

        Assert.Equal(XName.Get("message", "jabber:client"), element.Name);
        Assert.Equal("hi", element.Value);
    }

    [Fact]
    public void ParseElement_with_default_namespace_and_stream_prefix()
    {
        var features = XmlFragment.ParseElement("<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>", 1024, "jabber:client");
        var message = XmlFragment.ParseElement("<message><body>x</body></message>", 1024, "jabber:client");

        Assert.Equal(XName.Get("features", "http://etherx.jabber.org/streams"), features.Name);
        Assert.Equal(XName.Get("body", "jabber:client"), message.Elements().Single().Name);
    }

    [Theory]
    [InlineData("<a>", "not-well-formed")]
    [InlineData("<a/><b/>", "not-well-formed")]
    [InlineData("<a/>trailing", "not-well-formed")]
    [InlineData("", "not-well-formed")]
    [InlineData("<?xml version='1.0'?><!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>", "restricted-xml")]
    public void ParseElement_rejects_bad_frames(string text, string condition)
    {
        var ex = Assert.Throws<XmppProtocolException>(() => XmlFragment.ParseElement(text, 1024));

        Assert.Equal(condition, ex.Condition);
    }

    [Fact]
    public void ParseElement_enforces_the_byte_limit_in_utf8()
    {
        var text = $"<a>{new string('\u00e9', 600)}</a>"; // 607 chars, 1207 bytes

        var ex = Assert.Throws<XmppProtocolException>(() => XmlFragment.ParseElement(text, 1024));
        var ok = XmlFragment.ParseElement(text, 2048);

        Assert.Equal("policy-violation", ex.Condition);
        Assert.Equal(600, ok.Value.Length);
    }

    [Fact]
    public void TryParseFragment_accepts_several_elements_in_the_default_namespace()
    {
        var ok = XmlFragment.TryParseFragment("<p>Hello <b>world</b></p>\n<p xmlns='urn:other'>x</p>", Xhtml, out var elements, out var error);

        Assert.True(ok, error);
        Assert.Null(error);
        Assert.Equal(2, elements.Count);
        Assert.Equal(XName.Get("p", Xhtml), elements[0].Name);
        Assert.Equal(XName.Get("b", Xhtml), elements[0].Elements().Single().Name);
        Assert.Equal(XName.Get("p", "urn:other"), elements[1].Name);
    }

    [Fact]
    public void TryParseFragment_error_names_line_and_position()
    {
        var ok = XmlFragment.TryParseFragment("<p>fine</p>\n<p>broken</b>", Xhtml, out var elements, out var error);

        Assert.False(ok);
        Assert.Empty(elements);
        Assert.NotNull(error);
        Assert.Contains("line 2, position", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParseFragment_rejects_top_level_text_with_its_position()
    {
        var ok = XmlFragment.TryParseFragment("<p/>\n<p/>stray", Xhtml, out _, out var error);

        Assert.False(ok);
        Assert.Contains("line 2, position 5", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParseFragment_rejects_doctype_and_limits()
    {
        var deep = string.Concat(Enumerable.Repeat("<a>", 100)) + string.Concat(Enumerable.Repeat("</a>", 100));

        Assert.False(XmlFragment.TryParseFragment("<!DOCTYPE p [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><p>&x;</p>", Xhtml, out _, out var dtd));
        Assert.False(XmlFragment.TryParseFragment(deep, Xhtml, out _, out var nested));
        Assert.False(XmlFragment.TryParseFragment("<p>" + new string('x', 100) + "</p>", Xhtml, out _, out var big, maxBytes: 50));

        Assert.Contains("DTD", dtd, StringComparison.Ordinal);
        Assert.Contains("nested", nested, StringComparison.Ordinal);
        Assert.Contains("line 1", nested, StringComparison.Ordinal);
        Assert.Contains("50 bytes", big, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParseFragment_of_nothing_is_an_empty_list()
    {
        Assert.True(XmlFragment.TryParseFragment("  ", Xhtml, out var elements, out _));
        Assert.Empty(elements);
    }
}
