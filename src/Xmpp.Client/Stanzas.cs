using System.Security.Cryptography;
using System.Xml.Linq;
using Xmpp.Client.Xml;

namespace Xmpp.Client;

/// <summary>Builds outgoing stanzas as wire text and reads incoming ones.</summary>
internal static class Stanzas
{
    private static readonly XName ErrorName = XName.Get("error", Namespaces.Client);

    public static string MessageXml(OutgoingMessage message, string id)
    {
        var text = new System.Text.StringBuilder(256);
        text.Append("<message to='").Append(XmlStreamWriter.EscapeAttribute(message.To.ToString()))
            .Append("' type='").Append(TypeName(message.Type))
            .Append("' id='").Append(XmlStreamWriter.EscapeAttribute(id)).Append("'>");
        if (message.Subject is not null)
            text.Append("<subject>").Append(Escape(message.Subject, nameof(message.Subject))).Append("</subject>");
        if (message.Body is not null)
            text.Append("<body>").Append(Escape(message.Body, nameof(message.Body))).Append("</body>");
        if (message.XhtmlBody is not null)
        {
            var body = ParseWrapped(message.XhtmlBody, "body", Namespaces.Xhtml, nameof(message.XhtmlBody));
            text.Append("<html xmlns='").Append(Namespaces.XhtmlIm).Append("'>")
                .Append(body.ToString(SaveOptions.DisableFormatting))
                .Append("</html>");
        }
        if (message.OriginId is not null)
            text.Append("<origin-id xmlns='").Append(Namespaces.StanzaIds).Append("' id='").Append(XmlStreamWriter.EscapeAttribute(message.OriginId)).Append("'/>");
        if (message.ExtensionXml is not null)
        {
            var wrapper = ParseWrapped(message.ExtensionXml, "x", Namespaces.Client, nameof(message.ExtensionXml));
            foreach (var node in wrapper.Nodes())
            {
                if (node is XElement element)
                    text.Append(XmlStreamWriter.Serialize(element));
                else if (node is XText { Value: var value } && !string.IsNullOrWhiteSpace(value))
                    throw new ArgumentException("ExtensionXml may contain only elements, not text.", nameof(message));
            }
        }
        if (message.RequestReceipt)
            text.Append("<request xmlns='").Append(Namespaces.Receipts).Append("'/>");
        text.Append("</message>");
        return text.ToString();
    }

    private static string Escape(string value, string field)
    {
        try
        {
            return XmlStreamWriter.EscapeText(value);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"The message {field} contains a character that XML cannot carry: {e.Message}", field, e);
        }
    }

    /// <summary>Parses user-supplied XML inside a wrapper so that mixed content and several top-level nodes are allowed.</summary>
    private static XElement ParseWrapped(string xml, string wrapper, string ns, string field)
    {
        try
        {
            return XmlFragment.ParseElement($"<{wrapper} xmlns='{ns}'>{xml}</{wrapper}>", 256 * 1024);
        }
        catch (XmppProtocolException e)
        {
            throw new ArgumentException($"{field} is not well-formed XML: {e.Message}", field, e);
        }
    }

    public static string TypeName(MessageType type) => type switch
    {
        MessageType.Chat => "chat",
        MessageType.Normal => "normal",
        MessageType.Headline => "headline",
        MessageType.Groupchat => "groupchat",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static MessageType ParseType(string? type) => type switch
    {
        "chat" => MessageType.Chat,
        "headline" => MessageType.Headline,
        "groupchat" => MessageType.Groupchat,
        _ => MessageType.Normal, // RFC 6121 §5.2.2: absent or unknown means normal
    };

    public static ReceivedMessage ReadMessage(XElement stanza)
    {
        var html = stanza.Element(XName.Get("html", Namespaces.XhtmlIm))?.Element(XName.Get("body", Namespaces.Xhtml));
        return new ReceivedMessage(
            ParseJid(stanza.Attribute("from")?.Value),
            ParseJid(stanza.Attribute("to")?.Value),
            (string?)stanza.Attribute("type") == "error" ? MessageType.Normal : ParseType((string?)stanza.Attribute("type")),
            (string?)stanza.Attribute("id"),
            (string?)stanza.Element(XName.Get("subject", Namespaces.Client)),
            (string?)stanza.Element(XName.Get("body", Namespaces.Client)))
        {
            XhtmlBody = html?.ToString(SaveOptions.DisableFormatting),
            Error = ReadError(stanza),
            IsDelayed = stanza.Element(XName.Get("delay", Namespaces.Delay)) is not null,
            Xml = stanza.ToString(SaveOptions.DisableFormatting),
        };
    }

    public static Jid? ParseJid(string? text) => Jid.TryParse(text, out var jid) ? jid : null;

    /// <summary>The stanza error (RFC 6120 §8.3) carried by a stanza of type 'error', or null.</summary>
    public static StanzaError? ReadError(XElement stanza)
    {
        if ((string?)stanza.Attribute("type") != "error")
            return null;
        var error = stanza.Element(ErrorName);
        if (error is null)
            return new StanzaError("cancel", "undefined-condition", "the server returned an error without details");
        var condition = error.Elements().FirstOrDefault(e => e.Name.Namespace == Namespaces.Stanzas && e.Name.LocalName != "text");
        var text = (string?)error.Element(XName.Get("text", Namespaces.Stanzas));
        return new StanzaError((string?)error.Attribute("type") ?? "cancel", condition?.Name.LocalName ?? "undefined-condition", text, (string?)error.Attribute("by"));
    }

    /// <summary>Unique, unguessable stanza ids: a random per-session prefix and a counter.</summary>
    internal sealed class IdGenerator(string? prefix = null)
    {
        private readonly string _prefix = prefix ?? Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant();
        private long _next;

        public string Next() => _prefix + "-" + Interlocked.Increment(ref _next).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
