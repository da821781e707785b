using System.Net;

namespace Xmpp.Notifications.Formatting;

internal enum HtmlTokenKind
{
    Text,
    StartTag,
    EndTag,
}

internal sealed record HtmlToken(HtmlTokenKind Kind, string Value, IReadOnlyList<KeyValuePair<string, string>> Attributes, bool SelfClosing)
{
    public static HtmlToken Text(string text) => new(HtmlTokenKind.Text, text, [], false);
}

/// <summary>
/// A forgiving HTML tokenizer in the spirit of the WHATWG algorithm, small enough to audit: never throws, drops what it
/// cannot understand (comments, doctypes, processing instructions, a tag cut off by the end of input), lower-cases tag
/// and attribute names, decodes character references in text and attribute values, and treats the content of
/// script/style-like elements as raw text up to their end tag so markup inside them is never interpreted.
/// </summary>
internal static class HtmlTokenizer
{
    private static readonly HashSet<string> RawTextElements = new(StringComparer.Ordinal)
    {
        "script", "style", "xmp", "iframe", "noembed", "noframes", "noscript", "textarea", "title", "plaintext",
    };

    private static readonly HashSet<string> EscapableRawTextElements = new(StringComparer.Ordinal) { "textarea", "title" };

    public static IEnumerable<HtmlToken> Tokenize(string html)
    {
        var i = 0;
        while (i < html.Length)
        {
            var lt = html.IndexOf('<', i);
            if (lt < 0)
            {
                yield return HtmlToken.Text(Decode(html[i..]));
                yield break;
            }

            if (lt > i)
            {
                yield return HtmlToken.Text(Decode(html[i..lt]));
            }

            i = lt;
            var next = i + 1 < html.Length ? html[i + 1] : '\0';
            if (html.AsSpan(i).StartsWith("<!--", StringComparison.Ordinal))
            {
                var end = html.IndexOf("-->", i + 4, StringComparison.Ordinal);
                i = end < 0 ? html.Length : end + 3;
            }
            else if (html.AsSpan(i).StartsWith("<![CDATA[", StringComparison.Ordinal))
            {
                var end = html.IndexOf("]]>", i + 9, StringComparison.Ordinal);
                var stop = end < 0 ? html.Length : end;
                yield return HtmlToken.Text(html[(i + 9)..stop]);
                i = end < 0 ? html.Length : end + 3;
            }
            else if (next is '!' or '?')
            {
                var end = html.IndexOf('>', i);
                i = end < 0 ? html.Length : end + 1;
            }
            else if (next == '/' && i + 2 < html.Length && char.IsAsciiLetter(html[i + 2]))
            {
                var (name, end) = ReadName(html, i + 2);
                var close = html.IndexOf('>', end);
                if (close < 0)
                {
                    yield break;
                }

                i = close + 1;
                yield return new HtmlToken(HtmlTokenKind.EndTag, name, [], false);
            }
            else if (char.IsAsciiLetter(next))
            {
                var tag = ReadStartTag(html, i + 1, out var after);
                if (tag is null)
                {
                    // Cut off by the end of input: the fragment is dropped, as browsers do.
                    yield break;
                }

                i = after;
                yield return tag;
                if (RawTextElements.Contains(tag.Value) && !tag.SelfClosing)
                {
                    var end = tag.Value == "plaintext" ? -1 : IndexOfEndTag(html, i, tag.Value);
                    var stop = end < 0 ? html.Length : end;
                    var content = html[i..stop];
                    yield return HtmlToken.Text(EscapableRawTextElements.Contains(tag.Value) ? Decode(content) : content);
                    yield return new HtmlToken(HtmlTokenKind.EndTag, tag.Value, [], false);
                    if (end < 0)
                    {
                        yield break;
                    }

                    var close = html.IndexOf('>', end);
                    i = close < 0 ? html.Length : close + 1;
                }
            }
            else
            {
                yield return HtmlToken.Text("<");
                i++;
            }
        }
    }

    private static string Decode(string text) => text.Contains('&', StringComparison.Ordinal) ? WebUtility.HtmlDecode(text) : text;

    private static int IndexOfEndTag(string html, int from, string name)
    {
        var at = from;
        while (true)
        {
            var end = html.IndexOf("</", at, StringComparison.Ordinal);
            if (end < 0)
            {
                return -1;
            }

            var nameEnd = end + 2 + name.Length;
            if (nameEnd <= html.Length &&
                html.AsSpan(end + 2, name.Length).Equals(name, StringComparison.OrdinalIgnoreCase) &&
                (nameEnd == html.Length || html[nameEnd] is '>' or '/' || char.IsWhiteSpace(html[nameEnd])))
            {
                return end;
            }

            at = end + 2;
        }
    }

    private static (string Name, int End) ReadName(string html, int start)
    {
        var end = start;
        while (end < html.Length && !char.IsWhiteSpace(html[end]) && html[end] is not ('/' or '>'))
        {
            end++;
        }

        return (html[start..end].ToLowerInvariant(), end);
    }

    private static HtmlToken? ReadStartTag(string html, int start, out int after)
    {
        var (name, i) = ReadName(html, start);
        var attributes = new List<KeyValuePair<string, string>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var selfClosing = false;
        after = html.Length;
        while (true)
        {
            while (i < html.Length && (char.IsWhiteSpace(html[i]) || html[i] == '/'))
            {
                selfClosing = html[i] == '/';
                i++;
            }

            if (i >= html.Length)
            {
                return null;
            }

            if (html[i] == '>')
            {
                after = i + 1;
                return new HtmlToken(HtmlTokenKind.StartTag, name, attributes, selfClosing);
            }

            selfClosing = false;
            var nameStart = i;
            i++; // an attribute name may start with '=' in HTML; take at least one character
            while (i < html.Length && !char.IsWhiteSpace(html[i]) && html[i] is not ('/' or '>' or '='))
            {
                i++;
            }

            var attributeName = html[nameStart..i].ToLowerInvariant();
            while (i < html.Length && char.IsWhiteSpace(html[i]))
            {
                i++;
            }

            var value = string.Empty;
            if (i < html.Length && html[i] == '=')
            {
                i++;
                while (i < html.Length && char.IsWhiteSpace(html[i]))
                {
                    i++;
                }

                if (i < html.Length && html[i] is '"' or '\'')
                {
                    var quote = html[i];
                    var close = html.IndexOf(quote, i + 1);
                    if (close < 0)
                    {
                        return null;
                    }

                    value = html[(i + 1)..close];
                    i = close + 1;
                }
                else
                {
                    var valueStart = i;
                    while (i < html.Length && !char.IsWhiteSpace(html[i]) && html[i] != '>')
                    {
                        i++;
                    }

                    value = html[valueStart..i];
                }
            }

            if (seen.Add(attributeName))
            {
                attributes.Add(new(attributeName, Decode(value)));
            }
        }
    }
}
