using System.Xml.Linq;
using Xmpp.Notifications.Formatting;

namespace Xmpp.Notifications.Tests.Formatting;

public class XhtmlImTests
{
    private static readonly HashSet<string> Profile = ["a", "blockquote", "br", "cite", "code", "em", "li", "ol", "p", "pre", "span", "strong", "ul"];

    /// <summary>The XHTML must parse as XML inside the XHTML-IM body and use only the recommended profile.</summary>
    private static XElement AssertValid(RenderedBody rendered)
    {
        var body = XElement.Parse($"<body xmlns='http://www.w3.org/1999/xhtml'>{rendered.XhtmlBody}</body>");
        foreach (var element in body.Descendants())
        {
            Assert.Contains(element.Name.LocalName, Profile);
            foreach (var attribute in element.Attributes())
            {
                Assert.Contains(attribute.Name.LocalName, (string[])["href", "title"]);
            }
        }

        return body;
    }

    [Fact]
    public void ScriptAndStyleContentIsDropped()
    {
        var rendered = XhtmlIm.FromHtml("<p>Hi<script>alert('x')</script><style>p{color:red}</style> <SCRIPT type=x>document.write('<b>')</SCRIPT>there</p>");

        AssertValid(rendered);
        Assert.Equal("<p>Hi there</p>", rendered.XhtmlBody);
        Assert.Equal("Hi there", rendered.PlainText);
    }

    [Theory]
    [InlineData("<a href='javascript:alert(1)'>x</a>")]
    [InlineData("<a href=' JaVaScRiPt:alert(1)'>x</a>")]
    [InlineData("<a href='java\tscript:alert(1)'>x</a>")]
    [InlineData("<a href='&#106;avascript:alert(1)'>x</a>")]
    [InlineData("<a href='data:text/html,<script>'>x</a>")]
    [InlineData("<a href='/relative'>x</a>")]
    public void UnsafeLinksLoseTheirHref(string html)
    {
        var rendered = XhtmlIm.FromHtml(html);

        AssertValid(rendered);
        Assert.Equal("x", rendered.XhtmlBody);
        Assert.Equal("x", rendered.PlainText);
    }

    [Fact]
    public void AttributesAreFilteredAndEscaped()
    {
        var rendered = XhtmlIm.FromHtml("<a href=\"https://h.example/?q=1&amp;r=2\" onclick=\"steal()\" style=\"x\" title='a \"b\" <c>'>site</a><img src=x onerror=alert(1) alt=\"chart\"><a href='https://x.example/\"onmouseover=\"alert(1)'>y</a>");

        var body = AssertValid(rendered);
        var links = body.Elements().ToList();
        Assert.Equal("https://h.example/?q=1&r=2", links[0].Attribute("href")!.Value);
        Assert.Equal("a \"b\" <c>", links[0].Attribute("title")!.Value);
        Assert.Null(links[0].Attribute("onclick"));
        Assert.Equal("https://x.example/\"onmouseover=\"alert(1)", links[1].Attribute("href")!.Value);
        Assert.Single(links[1].Attributes());
        Assert.Equal("site (https://h.example/?q=1&r=2)charty (https://x.example/\"onmouseover=\"alert(1))", rendered.PlainText);
    }

    [Theory]
    [InlineData("<p>unclosed <b>bold <i>both")]
    [InlineData("<ul><li>one<li>two</ul><p>a<p>b")]
    [InlineData("</div></p>stray</b> end tags<br></br>")]
    [InlineData("<table><tr><td>1<td>2<tr><td>3</table>")]
    [InlineData("a < b && c > d <3 <!-- comment <b>x</b> --> <![CDATA[<raw>]]> <? pi ?> <!DOCTYPE html>")]
    [InlineData("<p title=\"unterminated>text")]
    [InlineData("<div><p>x</div></p><em>\u0001\uFFFF\uD800 control</em>")]
    [InlineData("<b>")]
    public void MalformedHtmlStillGivesWellFormedXml(string html)
    {
        AssertValid(XhtmlIm.FromHtml(html));
    }

    [Fact]
    public void DeepNestingIsFlattened()
    {
        var html = string.Concat(Enumerable.Repeat("<span title='t'><em>", 5000)) + "deep";

        var rendered = XhtmlIm.FromHtml(html);

        AssertValid(rendered);
        Assert.Equal("deep", rendered.PlainText);
    }

    [Fact]
    public void UnclosedTagsAreClosed()
    {
        var rendered = XhtmlIm.FromHtml("<p>unclosed <b>bold <i>both");

        Assert.Equal("<p>unclosed <strong>bold <em>both</em></strong></p>", rendered.XhtmlBody);
        Assert.Equal("unclosed bold both", rendered.PlainText);
    }

    [Fact]
    public void PlainTextLayout()
    {
        var rendered = XhtmlIm.FromHtml("""
            <h2>Status &amp; more</h2>
            <p>First   paragraph<br>second line with <a href="https://example.org/a">a link</a> and <a href="https://example.org">https://example.org</a>.</p>
            <ul><li>one</li><li>two<ol><li>nested</li><li>again</li></ol></li></ul>
            <blockquote><p>quoted</p><p>twice</p></blockquote>
            <pre>  code
              indented</pre>
            <table><tr><th>Host</th><th>Load</th></tr><tr><td>db-1</td><td>0.9</td></tr></table>
            """);

        AssertValid(rendered);
        Assert.Equal(
            """
            Status & more

            First paragraph
            second line with a link (https://example.org/a) and https://example.org.

            - one
            - two
              1. nested
              2. again

            > quoted
            >
            > twice

              code
              indented

            Host | Load
            db-1 | 0.9
            """.ReplaceLineEndings("\n"),
            rendered.PlainText);
        Assert.StartsWith("<p><strong>Status &amp; more</strong></p>", rendered.XhtmlBody, StringComparison.Ordinal);
        Assert.Contains("<p><strong>Host</strong> | <strong>Load</strong><br/>db-1 | 0.9</p>", rendered.XhtmlBody, StringComparison.Ordinal);
    }

    [Fact]
    public void MarkdownEmphasisLinksListsAndCode()
    {
        var rendered = XhtmlIm.FromMarkdown("""
            # Deploy

            **bold** and *it* and `x < y` and [docs](https://docs.example.org "Docs").

            - first
            - second

            ```
            if (a < b) {}
            ```
            """);

        AssertValid(rendered);
        Assert.Equal(
            "<p><strong>Deploy</strong></p>\n<p><strong>bold</strong> and <em>it</em> and <code>x &lt; y</code> and <a href=\"https://docs.example.org\" title=\"Docs\">docs</a>.</p>\n<ul><li>first</li><li>second</li></ul>\n<pre><code>if (a &lt; b) {}\n</code></pre>",
            rendered.XhtmlBody);
        Assert.Equal("Deploy\n\nbold and it and x < y and docs (https://docs.example.org).\n\n- first\n- second\n\nif (a < b) {}", rendered.PlainText);
    }

    [Fact]
    public void MarkdownRawHtmlIsShownNotExecuted()
    {
        var rendered = XhtmlIm.FromMarkdown("hi <script>alert(1)</script> [x](javascript:alert(1))");

        AssertValid(rendered);
        Assert.Equal("hi <script>alert(1)</script> x", rendered.PlainText);
        Assert.DoesNotContain("<script", rendered.XhtmlBody, StringComparison.Ordinal);
    }

    [Fact]
    public void MarkdownTableAndLineBreaks()
    {
        var rendered = XhtmlIm.FromMarkdown("line one\nline two\n\n| a | b |\n|---|---|\n| 1 | 2 |");

        AssertValid(rendered);
        Assert.Equal("line one\nline two\n\na | b\n1 | 2", rendered.PlainText);
    }

    [Fact]
    public void TextIsEscapedWithLineBreaks()
    {
        var rendered = XhtmlIm.FromText("a < b\r\nc & d");

        AssertValid(rendered);
        Assert.Equal("a &lt; b<br/>c &amp; d", rendered.XhtmlBody);
        Assert.Equal("a < b\nc & d", rendered.PlainText);
    }

    [Fact]
    public void AlertmanagerBodyRendersReadably()
    {
        var message = Assert.Single(Xmpp.Notifications.Contracts.Requests.AlertmanagerWebhook.Parse("""
            {"version":"4","status":"firing","externalURL":"http://am:9093","groupLabels":{"alertname":"X"},
             "alerts":[{"status":"firing","labels":{"alertname":"X","job":"a_b*c"},"annotations":{"summary":"1. <b>not</b> bold"},
                        "startsAt":"2024-01-01T00:00:00Z","generatorURL":"http://p:9090/g?x=(1)"}]}
            """u8.ToArray()));

        var rendered = XhtmlIm.FromMarkdown(message.Body!);

        AssertValid(rendered);
        Assert.Equal(
            "FIRING X\n\n- Summary: 1. <b>not</b> bold\n- Labels: job=a_b*c\n- Started: 2024-01-01 00:00:00 UTC\n- Source (http://p:9090/g?x=(1))\n\nSilence: http://am:9093/#/silences/new?filter=%7Balertname%3D%22X%22%7D\nOpen Alertmanager: http://am:9093/",
            rendered.PlainText);
    }

    [Fact]
    public void RowOfLinksIsShortLabelsInXhtmlAndOneUrlPerLineInPlainText()
    {
        var rendered = XhtmlIm.FromMarkdown("- Started: now\n- [Source](<https://a.example/x?y=1>) · [Silence](<https://b.example/s>)\n\n[Docs](https://c.example/) | [https://d.example/](https://d.example/)");

        AssertValid(rendered);
        Assert.Equal("- Started: now\n- Source: https://a.example/x?y=1\n  Silence: https://b.example/s\n\nDocs: https://c.example/\nhttps://d.example/", rendered.PlainText);
        Assert.Contains("<li><a href=\"https://a.example/x?y=1\">Source</a> · <a href=\"https://b.example/s\">Silence</a></li>", rendered.XhtmlBody, StringComparison.Ordinal);
    }

    [Fact]
    public void LinkInsideTextIsNotARow()
    {
        var rendered = XhtmlIm.FromMarkdown("see [a](https://a.example/) and [b](https://b.example/)");

        Assert.Equal("see a (https://a.example/) and b (https://b.example/)", rendered.PlainText);
    }

    public static TheoryData<string> DegenerateMarkdown() => new()
    {
        new string('>', 20_000) + " x",
        string.Concat(Enumerable.Repeat("*a", 15_000)),
        string.Concat(Enumerable.Repeat("[a](", 8_000)),
        string.Concat(Enumerable.Range(0, 1000).Select(i => new string(' ', i * 2) + "- x\n")),
    };

    [Theory]
    [MemberData(nameof(DegenerateMarkdown))]
    public void DegenerateMarkdownFallsBackToTextQuickly(string markdown)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();

        var rendered = XhtmlIm.FromMarkdown(markdown);

        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2), $"took {sw.Elapsed}");
        AssertValid(rendered);
        Assert.Equal(markdown, rendered.PlainText);
    }

    [Fact]
    public void HostileHtmlStaysLinear()
    {
        var strayBrackets = new string('<', 64 * 1024);
        var manyAttributes = "<a " + string.Concat(Enumerable.Range(0, 16_000).Select(i => $"a{i}=1 ")) + "href='https://x.example'>x</a>";

        var sw = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(strayBrackets, XhtmlIm.FromHtml(strayBrackets).PlainText);
        Assert.Equal("x (https://x.example)", XhtmlIm.FromHtml(manyAttributes).PlainText);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"took {sw.Elapsed}");
    }
}
