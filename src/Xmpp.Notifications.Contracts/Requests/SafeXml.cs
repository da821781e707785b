using System.Xml;
using System.Xml.Linq;

namespace Xmpp.Notifications.Contracts.Requests;

/// <summary>
/// Loads untrusted XML: no DTD (so no entity declarations, no billion laughs, no external entities), no resolver,
/// bounded size and depth. Elements remember their line for error messages.
/// </summary>
internal static class SafeXml
{
    /// <summary>Deepest element nesting accepted; a message stanza with XHTML-IM rarely needs 10.</summary>
    public const int MaxDepth = 32;

    public sealed record Position(int Line, int Column);

    public static XElement Load(string xml)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersFromEntities = 0,
            MaxCharactersInDocument = XmppMessageJson.MaxPayloadBytes,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
        };
        try
        {
            using var stringReader = new StringReader(xml);
            using var reader = XmlReader.Create(stringReader, settings);
            return ReadTree(reader);
        }
        catch (XmlException ex)
        {
            var line = ex.LineNumber > 0 ? ex.LineNumber : (int?)null;
            var position = ex.LinePosition > 0 ? ex.LinePosition : (int?)null;
            var doctype = xml.IndexOf("<!DOCTYPE", StringComparison.Ordinal);
            if (ex.Message.Contains("DTD", StringComparison.Ordinal) || doctype >= 0)
            {
                if (line is null && doctype >= 0)
                {
                    // The reader does not always say where; the declaration's own position is what the sender needs.
                    line = 1 + xml.AsSpan(0, doctype).Count('\n');
                    position = doctype - (xml.LastIndexOf('\n', Math.Max(doctype - 1, 0)) + 1) + 1;
                }

                throw new NotificationFormatException(
                    "The XML contains a document type declaration (<!DOCTYPE>); DTDs and entity declarations are not allowed in a stanza.",
                    null, line, position, ex);
            }

            if (ex.Message.Contains("undeclared entity", StringComparison.OrdinalIgnoreCase))
            {
                throw new NotificationFormatException(
                    $"The XML uses an undeclared entity; only &amp; &lt; &gt; &quot; &apos; and character references (&#…;) are allowed. {StripPosition(ex.Message)}",
                    null, line, position, ex);
            }

            throw new NotificationFormatException($"The XML is not well-formed: {StripPosition(ex.Message)}", null, line, position, ex);
        }
    }

    public static Position? PositionOf(XObject node) => node.Annotation<Position>();

    public static NotificationFormatException Error(XObject node, string message)
    {
        var position = PositionOf(node);
        return new NotificationFormatException(message, PathOf(node), position?.Line, position?.Column);
    }

    private static string PathOf(XObject node)
    {
        var element = node as XElement ?? node.Parent;
        var parts = new List<string>();
        for (var e = element; e is not null; e = e.Parent)
        {
            parts.Add(e.Name.LocalName);
        }

        parts.Reverse();
        var path = string.Join("/", parts);
        return node is XAttribute attribute ? $"{path}/@{attribute.Name.LocalName}" : path;
    }

    private static string StripPosition(string message)
    {
        var cut = message.IndexOf(" Line ", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    private static XElement ReadTree(XmlReader reader)
    {
        var lineInfo = (IXmlLineInfo)reader;
        XElement? root = null;
        var stack = new Stack<XElement>();
        while (reader.Read())
        {
            switch (reader.NodeType)
            {
                case XmlNodeType.Element:
                {
                    if (stack.Count >= MaxDepth)
                    {
                        throw new NotificationFormatException(
                            $"The XML is nested more than {MaxDepth} elements deep at <{reader.LocalName}>.", null, lineInfo.LineNumber, lineInfo.LinePosition);
                    }

                    var element = new XElement(XName.Get(reader.LocalName, reader.NamespaceURI));
                    element.AddAnnotation(new Position(lineInfo.LineNumber, lineInfo.LinePosition));
                    if (reader.MoveToFirstAttribute())
                    {
                        do
                        {
                            if (reader.NamespaceURI == "http://www.w3.org/2000/xmlns/")
                            {
                                continue;
                            }

                            var attribute = new XAttribute(XName.Get(reader.LocalName, reader.NamespaceURI), reader.Value);
                            attribute.AddAnnotation(new Position(lineInfo.LineNumber, lineInfo.LinePosition));
                            element.Add(attribute);
                        }
                        while (reader.MoveToNextAttribute());

                        reader.MoveToElement();
                    }

                    if (stack.Count == 0)
                    {
                        root = element;
                    }
                    else
                    {
                        stack.Peek().Add(element);
                    }

                    if (!reader.IsEmptyElement)
                    {
                        stack.Push(element);
                    }

                    break;
                }

                case XmlNodeType.EndElement:
                    stack.Pop();
                    break;
                case XmlNodeType.Text:
                case XmlNodeType.CDATA:
                case XmlNodeType.Whitespace:
                case XmlNodeType.SignificantWhitespace:
                    if (stack.Count > 0)
                    {
                        stack.Peek().Add(new XText(reader.Value));
                    }

                    break;
            }
        }

        return root ?? throw new NotificationFormatException("The XML has no root element.");
    }
}
