using System.Buffers;
using System.Text;
using System.Xml.Linq;

namespace Xmpp.Client.Xml;

/// <summary>
/// Produces the text the client sends. Hand-written rather than XmlWriter because stanzas are written one at a time
/// inside an already open stream (whose default namespace and <c>stream</c> prefix are in scope), and XmlWriter
/// would repeat declarations or insist on a document.
/// </summary>
internal static class XmlStreamWriter
{
    /// <summary>Closes our stream (RFC 6120 §4.4).</summary>
    public const string Close = "</stream:stream>";

    private const int MaxSerializeDepth = 256;

    // Everything that either needs escaping or may be invalid; the common case (none present) returns the input.
    private static readonly SearchValues<char> Special = SearchValues.Create(BuildSpecialChars());

    [ThreadStatic]
    private static StringBuilder? cachedBuilder;

    /// <summary>The opening stream header (with XML declaration) for a TCP stream to <paramref name="to"/>.</summary>
    public static string StreamHeader(string to, string? from, string lang = "en")
    {
        ArgumentException.ThrowIfNullOrEmpty(to);
        var sb = new StringBuilder(256);
        sb.Append("<?xml version='1.0'?><stream:stream to='");
        AppendEscapedAttribute(sb, to, nameof(to));
        sb.Append('\'');
        if (!string.IsNullOrEmpty(from))
        {
            sb.Append(" from='");
            AppendEscapedAttribute(sb, from, nameof(from));
            sb.Append('\'');
        }

        sb.Append(" version='1.0'");
        if (!string.IsNullOrEmpty(lang))
        {
            sb.Append(" xml:lang='");
            AppendEscapedAttribute(sb, lang, nameof(lang));
            sb.Append('\'');
        }

        sb.Append(" xmlns='").Append(Namespaces.Client)
          .Append("' xmlns:stream='").Append(Namespaces.Streams).Append("'>");
        return sb.ToString();
    }

    /// <summary>Escapes character data. <paramref name="field"/> names the value in the error for invalid characters.</summary>
    /// <exception cref="ArgumentException">The value holds a character XML 1.0 forbids (control character, lone surrogate, U+FFFE/U+FFFF).</exception>
    public static string EscapeText(string value, string field = "text")
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.AsSpan().IndexOfAny(Special) < 0)
        {
            return value;
        }

        var sb = new StringBuilder(value.Length + 16);
        AppendEscapedText(sb, value, field);
        return sb.ToString();
    }

    /// <summary>Escapes an attribute value (for either quote style).</summary>
    /// <exception cref="ArgumentException">The value holds a character XML 1.0 forbids.</exception>
    public static string EscapeAttribute(string value, string field = "attribute")
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.AsSpan().IndexOfAny(Special) < 0)
        {
            return value;
        }

        var sb = new StringBuilder(value.Length + 16);
        AppendEscapedAttribute(sb, value, field);
        return sb.ToString();
    }

    public static void AppendEscapedText(StringBuilder sb, string value, string field) => AppendEscaped(sb, value, field, attribute: false);

    public static void AppendEscapedAttribute(StringBuilder sb, string value, string field) => AppendEscaped(sb, value, field, attribute: true);

    /// <summary>
    /// Serializes a top-level element for a TCP stream: <c>jabber:client</c> and the <c>stream</c> prefix are in scope,
    /// so a stanza needs no xmlns; children repeat no inherited namespace; a foreign-namespace child gets its xmlns.
    /// Comments and processing instructions are dropped (XMPP forbids them).
    /// </summary>
    /// <exception cref="ArgumentException">Text or an attribute holds a character XML 1.0 forbids; the message names it.</exception>
    public static string Serialize(XElement element) => Serialize(element, standalone: false);

    /// <summary>
    /// Serializes an element that must stand alone (RFC 7395 WebSocket frames): every namespace it uses is declared,
    /// including <c>xmlns='jabber:client'</c> on stanzas and <c>xmlns:stream</c> on stream elements.
    /// </summary>
    public static string SerializeStandalone(XElement element) => Serialize(element, standalone: true);

    private static string Serialize(XElement element, bool standalone)
    {
        ArgumentNullException.ThrowIfNull(element);
        var sb = cachedBuilder ?? new StringBuilder(512);
        cachedBuilder = null;
        sb.Clear();
        try
        {
            WriteElement(sb, element, standalone ? string.Empty : Namespaces.Client, streamPrefixInScope: !standalone, depth: 0);
            return sb.ToString();
        }
        finally
        {
            // Keep one modest builder per thread; a huge one would pin memory after a rare large stanza.
            if (sb.Capacity <= 64 * 1024)
            {
                cachedBuilder = sb;
            }
        }
    }

    private static void WriteElement(StringBuilder sb, XElement element, string defaultNamespace, bool streamPrefixInScope, int depth)
    {
        if (depth > MaxSerializeDepth)
        {
            throw new ArgumentException($"The element is nested deeper than {MaxSerializeDepth} levels.", nameof(element));
        }

        var name = element.Name;
        var ns = name.NamespaceName;
        var local = name.LocalName;
        var childDefault = defaultNamespace;
        var childStreamPrefix = streamPrefixInScope;

        sb.Append('<');
        if (ns == Namespaces.Streams)
        {
            sb.Append("stream:").Append(local);
            if (!streamPrefixInScope)
            {
                sb.Append(" xmlns:stream='").Append(Namespaces.Streams).Append('\'');
                childStreamPrefix = true;
            }
        }
        else
        {
            sb.Append(local);
            if (ns != defaultNamespace)
            {
                sb.Append(" xmlns='");
                AppendEscapedAttribute(sb, ns, "namespace");
                sb.Append('\'');
                childDefault = ns;
            }
        }

        WriteAttributes(sb, element, local);

        if (!element.HasElements)
        {
            // Text-only content: XElement.Value avoids materializing XText nodes for string content.
            var text = element.IsEmpty ? string.Empty : element.Value;
            if (text.Length == 0)
            {
                sb.Append("/>");
                return;
            }

            sb.Append('>');
            AppendEscapedText(sb, text, $"text of <{local}>");
        }
        else
        {
            sb.Append('>');
            foreach (var node in element.Nodes())
            {
                switch (node)
                {
                    case XElement child:
                        WriteElement(sb, child, childDefault, childStreamPrefix, depth + 1);
                        break;
                    case XText textNode:
                        AppendEscapedText(sb, textNode.Value, $"text of <{local}>");
                        break;
                    default:
                        break;
                }
            }
        }

        sb.Append("</");
        if (ns == Namespaces.Streams)
        {
            sb.Append("stream:");
        }

        sb.Append(local).Append('>');
    }

    private static void WriteAttributes(StringBuilder sb, XElement element, string elementName)
    {
        List<string>? declared = null;
        for (var attribute = element.FirstAttribute; attribute is not null; attribute = attribute.NextAttribute)
        {
            if (attribute.IsNamespaceDeclaration)
            {
                continue;
            }

            var attrName = attribute.Name;
            sb.Append(' ');
            var attrNs = attrName.NamespaceName;
            if (attrNs.Length == 0)
            {
                sb.Append(attrName.LocalName);
            }
            else if (attrNs == Namespaces.Xml)
            {
                sb.Append("xml:").Append(attrName.LocalName);
            }
            else
            {
                // Attributes in other namespaces are rare (e.g. XEP extensions); declare a prefix on this element.
                declared ??= [];
                var index = declared.IndexOf(attrNs);
                if (index < 0)
                {
                    declared.Add(attrNs);
                    index = declared.Count - 1;
                    sb.Append("xmlns:a").Append(index).Append("='");
                    AppendEscapedAttribute(sb, attrNs, "namespace");
                    sb.Append("' ");
                }

                sb.Append('a').Append(index).Append(':').Append(attrName.LocalName);
            }

            sb.Append("='");
            AppendEscapedAttribute(sb, attribute.Value, $"attribute '{attrName.LocalName}' of <{elementName}>");
            sb.Append('\'');
        }
    }

    private static void AppendEscaped(StringBuilder sb, string value, string field, bool attribute)
    {
        ArgumentNullException.ThrowIfNull(value);
        var span = value.AsSpan();
        while (true)
        {
            var next = span.IndexOfAny(Special);
            if (next < 0)
            {
                sb.Append(span);
                return;
            }

            sb.Append(span[..next]);
            var c = span[next];
            var consumed = 1;
            switch (c)
            {
                case '<':
                    sb.Append("&lt;");
                    break;
                case '>':
                    sb.Append("&gt;");
                    break;
                case '&':
                    sb.Append("&amp;");
                    break;
                case '\'':
                    sb.Append(attribute ? "&apos;" : "'");
                    break;
                case '"':
                    sb.Append(attribute ? "&quot;" : "\"");
                    break;
                case '\n':
                    sb.Append(attribute ? "&#xA;" : "\n");
                    break;
                case '\t':
                    sb.Append(attribute ? "&#x9;" : "\t");
                    break;
                case '\r':
                    // A literal CR would be normalized away by the receiving parser.
                    sb.Append("&#xD;");
                    break;
                default:
                    if (char.IsHighSurrogate(c) && next + 1 < span.Length && char.IsLowSurrogate(span[next + 1]))
                    {
                        sb.Append(c).Append(span[next + 1]);
                        consumed = 2;
                        break;
                    }

                    throw new ArgumentException(
                        $"The {field} contains a character that XML 1.0 does not allow (U+{(int)c:X4} at index {value.Length - span.Length + next}).",
                        field);
            }

            span = span[(next + consumed)..];
        }
    }

    private static string BuildSpecialChars()
    {
        var chars = new StringBuilder("<>&'\"\uFFFE\uFFFF");
        for (var c = '\0'; c < ' '; c++)
        {
            chars.Append(c);
        }

        for (var c = '\uD800'; c <= '\uDFFF'; c++)
        {
            chars.Append(c);
        }

        return chars.ToString();
    }
}
