using System.Globalization;
using System.Text;
using Markdig;

namespace Xmpp.Notifications.Formatting;

/// <summary>
/// A message body in both forms XMPP carries: <paramref name="PlainText"/> for <c>&lt;body&gt;</c> (every client shows it)
/// and <paramref name="XhtmlBody"/>, the <em>inner</em> content of
/// <c>&lt;html xmlns='http://jabber.org/protocol/xhtml-im'&gt;&lt;body xmlns='http://www.w3.org/1999/xhtml'&gt;…&lt;/body&gt;&lt;/html&gt;</c>
/// (XEP-0071). XhtmlBody is always well-formed XML content using only the recommended profile's elements, without namespace declarations.
/// </summary>
public sealed record RenderedBody(string PlainText, string XhtmlBody);

/// <summary>
/// Renders notification bodies as XEP-0071 XHTML-IM plus a plain-text fallback.
/// <para>Output uses only the XEP-0071 §7 recommended profile: a (href limited to http, https, mailto and xmpp; title),
/// blockquote, br, cite, code, em, li, ol, p, pre, span, strong, ul; <c>title</c> is the only other attribute kept.
/// <c>style</c> is dropped (client styling varies and CSS is an injection surface); images are replaced by their alt text
/// (fetching them would reveal the reader's address to the image host). Other elements are removed but their text kept
/// (b → strong, i → em, headings → p/strong, tables → rows of " | "-separated cells); script, style and similar content
/// is dropped entirely.</para>
/// <para>Plain text: links as <c>text (url)</c>, list items behind "- " (or "1. " for ordered lists), paragraphs separated
/// by blank lines, quotes behind "&gt; ", character references decoded.</para>
/// </summary>
public static class XhtmlIm
{
    // Raw HTML in markdown would bypass nothing (the sanitizer sees it anyway) but showing it escaped is what a
    // notification author expects. Soft line breaks are hard because chat messages are not reflowed prose.
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .DisableHtml()
        .UsePipeTables()
        .UseEmphasisExtras()
        .UseAutoLinks()
        .UseSoftlineBreakAsHardlineBreak()
        .Build();

    public static RenderedBody Render(string body, NotifyFormat format) => format switch
    {
        NotifyFormat.Markdown => FromMarkdown(body),
        NotifyFormat.Html => FromHtml(body),
        _ => FromText(body),
    };

    public static RenderedBody FromText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var normalized = text.ReplaceLineEndings("\n");
        var xhtml = new StringBuilder(normalized.Length + 16);
        var lines = normalized.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (i > 0)
            {
                xhtml.Append("<br/>");
            }

            XmlText.Append(xhtml, lines[i]);
        }

        return new RenderedBody(StripInvalidCharacters(normalized), xhtml.ToString());
    }

    public static RenderedBody FromMarkdown(string markdown)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        if (!IsTractableMarkdown(markdown))
        {
            return FromText(markdown);
        }

        string html;
        try
        {
            html = Markdown.ToHtml(markdown, Pipeline);
        }
        catch (ArgumentException)
        {
            // Markdig refuses absurdly nested input (thousands of '>' or '*'); the notification still goes out, as text.
            return FromText(markdown);
        }

        return FromHtml(html);
    }

    /// <summary>
    /// Markdig's time grows quadratically on some degenerate input (thousands of unclosed '[' or '*', lists nested
    /// hundreds deep: 64 KiB of them takes tens of seconds), and it throws on very deep nesting. No real notification
    /// looks like that, so such input is sent as text instead. Limits measured to keep the worst case near one second.
    /// </summary>
    private static bool IsTractableMarkdown(string markdown)
    {
        int brackets = 0, emphasis = 0, indentation = 0, quotes = 0;
        var lineStart = true;
        foreach (var c in markdown)
        {
            switch (c)
            {
                case '[':
                    brackets++;
                    break;
                case '*' or '_':
                    emphasis++;
                    break;
            }

            if (c == '\n')
            {
                lineStart = true;
                indentation = 0;
                quotes = 0;
            }
            else if (lineStart && c is ' ' or '\t' or '>')
            {
                indentation += c == '\t' ? 4 : 1;
                quotes += c == '>' ? 1 : 0;
                if (indentation > MaxMarkdownIndentation || quotes > MaxMarkdownQuoteDepth)
                {
                    return false;
                }
            }
            else
            {
                lineStart = false;
            }
        }

        return brackets <= MaxMarkdownBrackets && emphasis <= MaxMarkdownEmphasisMarks;
    }

    private const int MaxMarkdownBrackets = 2000;
    private const int MaxMarkdownEmphasisMarks = 4000;
    private const int MaxMarkdownIndentation = 64;
    private const int MaxMarkdownQuoteDepth = 16;

    public static RenderedBody FromHtml(string html)
    {
        ArgumentNullException.ThrowIfNull(html);
        var renderer = new Renderer();
        renderer.Children(HtmlTree.Parse(html), new Context());
        return new RenderedBody(renderer.Plain.ToString(), renderer.Xhtml.ToString().Trim());
    }

    // Plain text passes through unchanged apart from characters XML cannot carry at all.
    private static string StripInvalidCharacters(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (XmlText.IsAllowed(c))
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private readonly record struct Context(bool Preformatted = false, bool InList = false, bool InLink = false);

    private sealed class Renderer
    {
        private static readonly HashSet<string> Dropped = new(StringComparer.Ordinal)
        {
            "script", "style", "template", "head", "title", "iframe", "object", "embed", "applet", "svg", "math",
            "noscript", "noembed", "noframes", "frameset", "canvas", "audio", "video", "select", "datalist", "xmp",
            "plaintext", "meta", "link", "base", "param", "source", "track", "input",
        };

        private static readonly HashSet<string> Containers = new(StringComparer.Ordinal)
        {
            "div", "section", "article", "header", "footer", "main", "nav", "aside", "figure", "figcaption", "address",
            "center", "details", "summary", "fieldset", "legend", "form", "dt", "dd", "caption", "hgroup",
        };

        private static readonly HashSet<string> Blocks = new(StringComparer.Ordinal)
        {
            "p", "ul", "ol", "li", "blockquote", "pre", "table", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "dl",
        };

        private static readonly string[] LinkSchemes = ["http", "https", "mailto", "xmpp"];

        public StringBuilder Xhtml { get; } = new();

        public PlainTextWriter Plain { get; } = new();

        public void Children(HtmlNode node, Context context)
        {
            if (!context.Preformatted && !context.InLink && IsLinkRow(node))
            {
                LinkRow(node, context);
                return;
            }

            foreach (var child in node.Children)
            {
                Node(child, context);
            }
        }

        /// <summary>
        /// Two or more links separated only by spaces, "·", "|", "•" or commas. XHTML-IM keeps them on one line of short
        /// labels; the plain text puts each on a line of its own as "label: url", which a narrow screen wraps far
        /// better than a run of "label (url) · label (url)".
        /// </summary>
        private static bool IsLinkRow(HtmlNode node)
        {
            var links = 0;
            foreach (var child in node.Children)
            {
                if (child.Name == "a" && SafeHref(child.Attribute("href")) is not null && InnerText(child).Length > 0 &&
                    child.Children.All(c => c.Name is null))
                {
                    links++;
                }
                else if (child.Name is not null || !child.Text!.All(c => char.IsWhiteSpace(c) || c is '·' or '|' or ',' or '•'))
                {
                    return false;
                }
            }

            return links >= 2;
        }

        private void LinkRow(HtmlNode node, Context context)
        {
            var first = true;
            foreach (var child in node.Children)
            {
                if (child.Name is null)
                {
                    XmlText.Append(Xhtml, child.Text!);
                    continue;
                }

                if (!first)
                {
                    Plain.HardBreak();
                }

                first = false;
                var href = SafeHref(child.Attribute("href"))!;
                var text = InnerText(child);
                Element(child, "a", context with { InLink = true }, href: href);
                if (!SameTarget(text, href))
                {
                    Plain.Text(":");
                    Plain.Text(" ");
                    Plain.Text(href);
                }
            }
        }

        private void Node(HtmlNode node, Context context)
        {
            if (node.Name is null)
            {
                XmlText.Append(Xhtml, node.Text!);
                if (context.Preformatted)
                {
                    Plain.Preformatted(node.Text!);
                }
                else
                {
                    Plain.Text(node.Text!);
                }

                return;
            }

            var name = node.Name;
            if (Dropped.Contains(name))
            {
                return;
            }

            switch (name)
            {
                case "br":
                    Xhtml.Append("<br/>");
                    if (context.Preformatted)
                    {
                        Plain.Preformatted("\n");
                    }
                    else
                    {
                        Plain.HardBreak();
                    }

                    return;
                case "hr":
                    Xhtml.Append("<br/>");
                    Plain.Block();
                    return;
                case "img":
                    if (node.Attribute("alt") is { Length: > 0 } alt)
                    {
                        Node(new HtmlNode(null, alt), context);
                    }

                    return;
                case "p":
                    Block(node, "p", context);
                    return;
                case "h1" or "h2" or "h3" or "h4" or "h5" or "h6":
                    Plain.Block();
                    Xhtml.Append("<p><strong>");
                    Children(node, context);
                    Xhtml.Append("</strong></p>");
                    Plain.Block();
                    return;
                case "blockquote":
                    Plain.Block();
                    Plain.PushPrefix("> ");
                    Element(node, "blockquote", context);
                    Plain.PopPrefix();
                    Plain.Block();
                    return;
                case "pre":
                    Plain.Block();
                    Element(node, "pre", context with { Preformatted = true });
                    Plain.Block();
                    return;
                case "ul" or "ol":
                    List(node, context);
                    return;
                case "li":
                    // Outside a list: still an item, so it stays readable.
                    Plain.StartItem("- ");
                    Element(node, "li", context, keepEmpty: true);
                    Plain.EndItem();
                    return;
                case "table":
                    Table(node, context);
                    return;
                case "a":
                    Link(node, context);
                    return;
                case "strong" or "b":
                    Element(node, "strong", context);
                    return;
                case "em" or "i":
                    Element(node, "em", context);
                    return;
                case "code" or "tt" or "kbd" or "samp" or "var":
                    Element(node, "code", context);
                    return;
                case "cite":
                    Element(node, "cite", context);
                    return;
                case "span":
                    if (node.Attribute("title") is not null)
                    {
                        Element(node, "span", context);
                    }
                    else
                    {
                        Children(node, context);
                    }

                    return;
            }

            if (Containers.Contains(name))
            {
                // A wrapper with only inline content reads as a paragraph; one holding blocks just passes them on.
                if (HasBlock(node))
                {
                    Plain.Block();
                    Children(node, context);
                    Plain.Block();
                }
                else
                {
                    Block(node, "p", context);
                }

                return;
            }

            Children(node, context);
        }

        private void Block(HtmlNode node, string tag, Context context)
        {
            Plain.Block();
            Element(node, tag, context);
            Plain.Block();
        }

        /// <summary>Writes an allowed element with its allowed attributes; an element that ends up empty is left out.</summary>
        private void Element(HtmlNode node, string tag, Context context, bool keepEmpty = false, string? href = null)
        {
            var start = Xhtml.Length;
            Xhtml.Append('<').Append(tag);
            if (href is not null)
            {
                Xhtml.Append(" href=\"");
                XmlText.Append(Xhtml, href, attribute: true);
                Xhtml.Append('"');
            }

            if (node.Attribute("title") is { } title)
            {
                Xhtml.Append(" title=\"");
                XmlText.Append(Xhtml, title, attribute: true);
                Xhtml.Append('"');
            }

            Xhtml.Append('>');
            var contentStart = Xhtml.Length;
            Children(node, context);
            if (Xhtml.Length == contentStart && !keepEmpty)
            {
                Xhtml.Length = start;
                return;
            }

            Xhtml.Append("</").Append(tag).Append('>');
        }

        private void List(HtmlNode node, Context context)
        {
            if (context.InList)
            {
                Plain.Line();
            }
            else
            {
                Plain.Block();
            }

            var tag = node.Name!;
            var number = tag == "ol" ? Start(node) ?? 1 : 0;
            Xhtml.Append('<').Append(tag).Append('>');
            foreach (var child in node.Children)
            {
                if (child.Name == "li")
                {
                    Plain.StartItem(tag == "ol" ? $"{number++}. " : "- ");
                    Element(child, "li", context with { InList = true }, keepEmpty: true);
                    Plain.EndItem();
                }
                else if (child.Name is null && string.IsNullOrWhiteSpace(child.Text))
                {
                    continue;
                }
                else
                {
                    // Content outside <li> is not allowed in a list: give it an item of its own.
                    Plain.StartItem("- ");
                    Xhtml.Append("<li>");
                    Node(child, context with { InList = true });
                    Xhtml.Append("</li>");
                    Plain.EndItem();
                }
            }

            Xhtml.Append("</").Append(tag).Append('>');
            if (context.InList)
            {
                Plain.Line();
            }
            else
            {
                Plain.Block();
            }
        }

        private static int? Start(HtmlNode node) =>
            int.TryParse(node.Attribute("start"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var start) ? start : null;

        /// <summary>Tables are outside the profile: one line per row, cells separated by " | ", header cells strong.</summary>
        private void Table(HtmlNode table, Context context)
        {
            Plain.Block();
            Xhtml.Append("<p>");
            var firstRow = true;
            foreach (var row in Rows(table))
            {
                if (!firstRow)
                {
                    Xhtml.Append("<br/>");
                    Plain.Line();
                }

                firstRow = false;
                var firstCell = true;
                foreach (var cell in row.Children.Where(c => c.Name is "td" or "th"))
                {
                    if (!firstCell)
                    {
                        Xhtml.Append(" | ");
                        Plain.Text(" | ");
                    }

                    firstCell = false;
                    if (cell.Name == "th")
                    {
                        Element(cell, "strong", context);
                    }
                    else
                    {
                        Children(cell, context);
                    }
                }
            }

            foreach (var caption in table.Children.Where(c => c.Name == "caption"))
            {
                Xhtml.Append("<br/>");
                Plain.Line();
                Children(caption, context);
            }

            Xhtml.Append("</p>");
            Plain.Block();
        }

        private static IEnumerable<HtmlNode> Rows(HtmlNode node)
        {
            foreach (var child in node.Children)
            {
                if (child.Name == "tr")
                {
                    yield return child;
                }
                else if (child.Name is "thead" or "tbody" or "tfoot")
                {
                    foreach (var row in Rows(child))
                    {
                        yield return row;
                    }
                }
            }
        }

        private void Link(HtmlNode node, Context context)
        {
            var href = SafeHref(node.Attribute("href"));
            if (href is null || context.InLink)
            {
                Children(node, context);
                return;
            }

            var text = InnerText(node);
            Element(node, "a", context with { InLink = true }, href: href);
            if (text.Length == 0)
            {
                Plain.Text(href);
            }
            else if (!SameTarget(text, href))
            {
                Plain.Text($" ({href})");
            }
        }

        private static bool SameTarget(string text, string href)
        {
            if (string.Equals(text, href, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            var colon = href.IndexOf(':', StringComparison.Ordinal);
            var rest = href[(colon + 1)..];
            return string.Equals(text, rest, StringComparison.OrdinalIgnoreCase) ||
                   string.Equals(text, rest.TrimStart('/'), StringComparison.OrdinalIgnoreCase) ||
                   string.Equals(text.TrimEnd('/'), href.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);
        }

        /// <summary>Only absolute http, https, mailto and xmpp URIs; browsers ignore whitespace and controls inside a scheme, so we do too before checking.</summary>
        internal static string? SafeHref(string? href)
        {
            if (string.IsNullOrWhiteSpace(href))
            {
                return null;
            }

            var cleaned = new string(href.Where(c => c > ' ' && c != '\u007F').ToArray());
            var colon = cleaned.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return null;
            }

            var scheme = cleaned[..colon].ToLowerInvariant();
            if (!LinkSchemes.Contains(scheme, StringComparer.Ordinal))
            {
                return null;
            }

            if (scheme is "http" or "https")
            {
                return Uri.TryCreate(cleaned, UriKind.Absolute, out var uri) && uri.Host.Length > 0 ? cleaned : null;
            }

            return cleaned.Length > colon + 1 ? scheme + cleaned[colon..] : null;
        }

        private static string InnerText(HtmlNode node)
        {
            var builder = new StringBuilder();
            Collect(node, builder);
            return string.Join(' ', builder.ToString().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        }

        private static void Collect(HtmlNode node, StringBuilder builder)
        {
            if (node.Name is null)
            {
                builder.Append(node.Text);
                return;
            }

            if (Dropped.Contains(node.Name))
            {
                return;
            }

            if (node.Name == "img")
            {
                builder.Append(node.Attribute("alt"));
            }

            foreach (var child in node.Children)
            {
                Collect(child, builder);
            }
        }

        private static bool HasBlock(HtmlNode node) =>
            node.Children.Any(c => c.Name is not null && (Blocks.Contains(c.Name) || Containers.Contains(c.Name) || HasBlock(c)));
    }
}
