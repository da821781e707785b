using System.Xml;
using System.Xml.Linq;

namespace Xmpp.Client.Xml;

/// <summary>
/// Builds one XElement from XmlReader nodes, one node at a time, so the same code serves the incremental async
/// stream reader and the synchronous fragment parser. Iterative (no recursion), with nesting and attribute limits
/// checked as nodes arrive rather than after an oversized tree was built.
/// </summary>
internal sealed class ElementBuilder
{
    /// <summary>Deepest nesting accepted below a top-level element; real stanzas stay under 10.</summary>
    public const int MaxDepth = 64;

    /// <summary>Most attributes accepted on one element; real elements carry a handful.</summary>
    public const int MaxAttributes = 64;

    private const string XmlnsNamespace = "http://www.w3.org/2000/xmlns/";

    private readonly List<XElement> open = new(8);
    private XElement? root;
    private int baseDepth;

    /// <summary>True while an element has been started but not finished.</summary>
    public bool InProgress => open.Count > 0;

    /// <summary>Starts on an Element node. Returns true when that element is already complete (empty element).</summary>
    public bool Start(XmlReader reader)
    {
        open.Clear();
        baseDepth = reader.Depth;
        root = CreateElement(reader, 0);
        if (reader.IsEmptyElement)
        {
            return true;
        }

        open.Add(root);
        return false;
    }

    /// <summary>Takes the next node after <see cref="Start"/>. Returns true when the top element is complete.</summary>
    public bool Accept(XmlReader reader)
    {
        var current = open[^1];
        switch (reader.NodeType)
        {
            case XmlNodeType.Element:
                var child = CreateElement(reader, reader.Depth - baseDepth);
                current.Add(child);
                if (!reader.IsEmptyElement)
                {
                    open.Add(child);
                }

                return false;

            case XmlNodeType.EndElement:
                open.RemoveAt(open.Count - 1);
                return open.Count == 0;

            case XmlNodeType.Text:
            case XmlNodeType.CDATA:
            case XmlNodeType.Whitespace:
            case XmlNodeType.SignificantWhitespace:
                AddText(reader.Value);
                return false;

            default:
                // Comments and processing instructions are dropped by the reader settings; nothing else can occur
                // inside an element without a DTD.
                return false;
        }
    }

    /// <summary>
    /// True for nodes whose value must be fetched with <see cref="XmlReader.GetValueAsync"/> in async mode: the
    /// synchronous Value getter would finish a partially parsed text with a blocking read.
    /// </summary>
    public static bool IsText(XmlNodeType type) =>
        type is XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.Whitespace or XmlNodeType.SignificantWhitespace;

    /// <summary>Adds character data to the open element.</summary>
    public void AddText(string text)
    {
        // Adding a string lets XElement keep text-only content as a plain string (no XText node).
        open[^1].Add(text);
    }

    public XElement TakeResult()
    {
        var result = root ?? throw new InvalidOperationException("No element was built.");
        root = null;
        open.Clear();
        return result;
    }

    public void Reset()
    {
        root = null;
        open.Clear();
    }

    private static XElement CreateElement(XmlReader reader, int depth)
    {
        if (depth > MaxDepth)
        {
            throw Limit(reader, $"elements are nested deeper than {MaxDepth} levels");
        }

        var element = new XElement(XNamespace.Get(reader.NamespaceURI).GetName(reader.LocalName));
        if (reader.MoveToFirstAttribute())
        {
            var count = 0;
            do
            {
                // Namespace declarations are already reflected in the names; keeping them would only add noise
                // when the element is logged or forwarded.
                if (ReferenceEquals(reader.NamespaceURI, XmlnsNamespace) || reader.NamespaceURI == XmlnsNamespace)
                {
                    continue;
                }

                if (++count > MaxAttributes)
                {
                    throw Limit(reader, $"an element has more than {MaxAttributes} attributes");
                }

                element.Add(new XAttribute(XNamespace.Get(reader.NamespaceURI).GetName(reader.LocalName), reader.Value));
            }
            while (reader.MoveToNextAttribute());

            reader.MoveToElement();
        }

        return element;
    }

    private static XmppProtocolException Limit(XmlReader reader, string what)
    {
        var where = reader is IXmlLineInfo info && info.HasLineInfo()
            ? $" (line {info.LineNumber}, position {info.LinePosition})"
            : "";
        return new XmppProtocolException($"The XML was rejected: {what}{where}.", "policy-violation");
    }
}
