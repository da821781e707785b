using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace Xmpp.Client.Xml;

/// <summary>
/// Parses complete XML held in memory with the same safety rules as the stream reader: one WebSocket frame
/// (RFC 7395 §3.3.3: each frame is one complete element), or XML a user supplied for an extension or XHTML body.
/// </summary>
internal static class XmlFragment
{
    /// <summary>Default size cap for user-supplied fragments.</summary>
    public const int DefaultMaxFragmentBytes = 256 * 1024;

    private static readonly XmlReaderSettings DocumentSettings = XmlSafety.CreateSettings(async: false, ConformanceLevel.Document);
    private static readonly XmlReaderSettings FragmentSettings = XmlSafety.CreateSettings(async: false, ConformanceLevel.Fragment);

    /// <summary>Parses exactly one element. Namespaces must be declared in the text.</summary>
    /// <exception cref="XmppProtocolException">not-well-formed, restricted-xml or policy-violation.</exception>
    public static XElement ParseElement(string text, int maxBytes) => ParseElement(text, maxBytes, defaultNamespace: null);

    /// <summary>
    /// Parses exactly one element; <paramref name="defaultNamespace"/>, when given, applies to unqualified names
    /// (and the <c>stream</c> prefix is pre-declared), for peers that omit declarations.
    /// </summary>
    public static XElement ParseElement(string text, int maxBytes, string? defaultNamespace)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (ExceedsBytes(text, maxBytes))
        {
            throw new XmppProtocolException($"The element is larger than the limit of {maxBytes} bytes.", "policy-violation");
        }

        try
        {
            using var stringReader = new StringReader(text);
            using var reader = XmlReader.Create(stringReader, DocumentSettings, CreateContext(defaultNamespace));
            var builder = new ElementBuilder();
            while (reader.Read())
            {
                switch (reader.NodeType)
                {
                    case XmlNodeType.Element:
                        if (!builder.Start(reader))
                        {
                            while (reader.Read() && !builder.Accept(reader))
                            {
                            }
                        }

                        var element = builder.TakeResult();
                        // Reading on makes the parser reject anything after the element (a second root, text).
                        while (reader.Read())
                        {
                        }

                        return element;
                    case XmlNodeType.XmlDeclaration:
                    case XmlNodeType.Whitespace:
                        continue;
                    default:
                        throw new XmppProtocolException($"Expected an element, found {reader.NodeType}.", "not-well-formed");
                }
            }

            throw new XmppProtocolException("The text contains no element.", "not-well-formed");
        }
        catch (XmlException ex)
        {
            if (XmlSafety.DeclaresDoctype(text))
            {
                throw new XmppProtocolException("The XML declares a DTD or entities, which XMPP forbids (restricted XML).", "restricted-xml", ex);
            }

            throw new XmppProtocolException($"The XML is not well-formed at {XmlSafety.Where(ex)}: {ex.Message}", "not-well-formed", ex);
        }
    }

    /// <summary>
    /// Checks user-supplied XML made of zero or more elements (raw extension payloads, XHTML-IM bodies). Unprefixed
    /// names without a declaration fall into <paramref name="defaultNamespace"/>. On failure, <paramref name="error"/>
    /// says what is wrong and where (line and position).
    /// </summary>
    public static bool TryParseFragment(
        string xml,
        string defaultNamespace,
        out IReadOnlyList<XElement> elements,
        out string? error,
        int maxBytes = DefaultMaxFragmentBytes)
    {
        ArgumentNullException.ThrowIfNull(xml);
        ArgumentNullException.ThrowIfNull(defaultNamespace);
        elements = [];
        if (ExceedsBytes(xml, maxBytes))
        {
            error = $"The XML is larger than the limit of {maxBytes} bytes.";
            return false;
        }

        var result = new List<XElement>();
        using var stringReader = new StringReader(xml);
        using var reader = XmlReader.Create(stringReader, FragmentSettings, CreateContext(defaultNamespace));
        var builder = new ElementBuilder();
        try
        {
            while (reader.Read())
            {
                switch (reader.NodeType)
                {
                    case XmlNodeType.Element:
                        if (!builder.Start(reader))
                        {
                            while (reader.Read() && !builder.Accept(reader))
                            {
                            }
                        }

                        result.Add(builder.TakeResult());
                        break;
                    case XmlNodeType.Whitespace:
                    case XmlNodeType.XmlDeclaration:
                        break;
                    default:
                        error = $"Only elements are allowed at the top level; found {reader.NodeType} at {Position(reader)}.";
                        return false;
                }
            }
        }
        catch (XmlException ex)
        {
            error = XmlSafety.DeclaresDoctype(xml)
                ? "DTDs and entity declarations are not allowed in XMPP."
                : $"The XML is not well-formed at {XmlSafety.Where(ex)}: {ex.Message}";
            return false;
        }
        catch (XmppProtocolException ex)
        {
            error = ex.Message;
            return false;
        }

        elements = result;
        error = null;
        return true;
    }

    private static string Position(XmlReader reader) =>
        reader is IXmlLineInfo info && info.HasLineInfo() ? $"line {info.LineNumber}, position {info.LinePosition}" : "an unknown position";

    private static bool ExceedsBytes(string text, int maxBytes)
    {
        // UTF-8 needs at most 3 bytes per UTF-16 code unit, so counting is only needed in the uncertain band.
        if (text.Length > maxBytes)
        {
            return true;
        }

        return (long)text.Length * 3 > maxBytes && Encoding.UTF8.GetByteCount(text) > maxBytes;
    }

    private static XmlParserContext? CreateContext(string? defaultNamespace)
    {
        if (defaultNamespace is null)
        {
            return null;
        }

        var names = new NameTable();
        var namespaces = new XmlNamespaceManager(names);
        namespaces.AddNamespace(string.Empty, defaultNamespace);
        namespaces.AddNamespace("stream", Namespaces.Streams);
        return new XmlParserContext(names, namespaces, null, XmlSpace.None);
    }
}
