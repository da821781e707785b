using System.Xml;
using System.Xml.Linq;
using CsCheck;
using Xmpp.Notifications.Formatting;

namespace Xmpp.Notifications.Tests.Formatting;

/// <summary>
/// Generated HTML tag soup and markdown into XHTML-IM: the output is always well-formed, uses only the XEP-0071
/// recommended profile's elements with their allowed attributes, carries no script, and links only to http, https,
/// xmpp and mailto.
/// </summary>
public sealed class XhtmlImProperties
{
    private static readonly XNamespace Xhtml = "http://www.w3.org/1999/xhtml";

    private static readonly HashSet<string> Elements = ["a", "blockquote", "br", "cite", "code", "em", "li", "ol", "p", "pre", "span", "strong", "ul"];

    private static readonly string[] Schemes = ["http", "https", "xmpp", "mailto"];

    private static readonly Gen<string> Tag = Gen.OneOfConst(
        "a", "b", "i", "p", "div", "span", "script", "style", "img", "iframe", "svg", "math", "table", "tr", "td", "ul", "ol", "li", "pre",
        "code", "blockquote", "h1", "br", "hr", "object", "template", "noscript", "textarea", "title", "SCRIPT", "ScRiPt", "x:y", "a b");

    private static readonly Gen<string> AttributeValue = Gen.OneOfConst(
        "https://example.org/x?a=1&b=2", "javascript:alert(1)", "JaVaScRiPt:alert(1)", " java\tscript:alert(1)", "jav&#x09;ascript:x",
        "data:text/html,<script>alert(1)</script>", "vbscript:x", "xmpp:bob@example.org?message", "mailto:ops@example.org", "//evil.example",
        "http://", "file:///etc/passwd", "\"><script>alert(1)</script>", "x' onload='alert(1)", "&quot;&lt;&gt;&amp;", "\u0001\ufffe", "");

    private static readonly Gen<string> Attribute = Gen.Select(
        Gen.OneOfConst("href", "src", "title", "style", "onclick", "onerror", "class", "xmlns", "xml:lang", "HREF", "data-x", "formaction"),
        AttributeValue,
        Gen.OneOfConst("\"", "'", ""),
        (name, value, quote) => $" {name}={quote}{value}{quote}");

    private static readonly Gen<string> Text = Gen.OneOfConst(
        "disk full", "<", ">", "&", "&amp;", "&lt;script&gt;", "&#0;", "&#x1F600;", "&bogus;", "]]>", "<!--", "-->", "<![CDATA[x]]>", "\u0001",
        "\ufffe", "\ud800", "😀", "<?php ?>", "<!DOCTYPE x [<!ENTITY e 'x'>]>", "\r\n", "*", "_", "`", "[", "](", "#", "> ", "- ", "1. ", "|", "---", "\\");

    private static readonly Gen<string> Html = Gen.Frequency(
        (3, Text),
        (2, Gen.Select(Tag, Attribute.Array[0, 3], (tag, attributes) => $"<{tag}{string.Concat(attributes)}>")),
        (2, Tag.Select(tag => $"</{tag}>")),
        (1, Gen.Select(Tag, Attribute.Array[0, 2], (tag, attributes) => $"<{tag}{string.Concat(attributes)}/>")))
        .Array[0, 40].Select(string.Concat);

    private static readonly Gen<string> Markdown = Gen.Frequency(
        (4, Text),
        (1, Gen.Select(Text, AttributeValue, (text, url) => $"[{text}]({url})")),
        (1, AttributeValue.Select(url => $"<{url}>")),
        (1, Gen.OneOfConst("**", "__", "~~", "```\n", "\n\n", "    ", "| a | b |\n|---|---|\n", "![alt](https://example.org/i.png)", "<script>alert(1)</script>")))
        .Array[0, 40].Select(string.Concat);

    [Fact]
    public void Html_becomes_well_formed_xhtml_im_within_the_profile()
    {
        Html.Sample(html => AssertWithinProfile(XhtmlIm.FromHtml(html)), iter: 5000);
    }

    [Fact]
    public void Markdown_becomes_well_formed_xhtml_im_within_the_profile()
    {
        Markdown.Sample(markdown => AssertWithinProfile(XhtmlIm.FromMarkdown(markdown)), iter: 5000);
    }

    [Fact]
    public void Plain_text_becomes_well_formed_xhtml_im_within_the_profile()
    {
        Gen.String.Sample(text => AssertWithinProfile(XhtmlIm.FromText(text)), iter: 2000);
    }

    private static void AssertWithinProfile(RenderedBody rendered)
    {
        XElement body;
        try
        {
            body = XElement.Parse($"<body xmlns='{Xhtml.NamespaceName}'>{rendered.XhtmlBody}</body>");
        }
        catch (XmlException e)
        {
            Assert.Fail($"not well-formed: {e.Message}\n{rendered.XhtmlBody}");
            return;
        }
        foreach (var element in body.Descendants())
        {
            Assert.Equal(Xhtml, element.Name.Namespace);
            Assert.Contains(element.Name.LocalName, Elements);
            foreach (var attribute in element.Attributes())
            {
                Assert.True(attribute.Name.LocalName == "title" || (element.Name.LocalName == "a" && attribute.Name.LocalName == "href"),
                    $"attribute {attribute.Name} on <{element.Name.LocalName}>");
                Assert.Equal(XNamespace.None, attribute.Name.Namespace);
            }
            if (element.Attribute("href") is { } href)
            {
                var colon = href.Value.IndexOf(':', StringComparison.Ordinal);
                Assert.True(colon > 0 && Schemes.Contains(href.Value[..colon], StringComparer.Ordinal), $"href '{href.Value}'");
            }
        }
        Assert.DoesNotContain("<script", rendered.XhtmlBody, StringComparison.OrdinalIgnoreCase);
    }
}
