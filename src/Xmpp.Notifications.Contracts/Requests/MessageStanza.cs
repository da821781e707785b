using System.Text;
using System.Xml.Linq;

namespace Xmpp.Notifications.Contracts.Requests;

/// <summary>
/// A posted XMPP <c>&lt;message/&gt;</c> stanza, as Prosody's mod_rest (<c>application/xmpp+xml</c>) and mod_post_msg
/// accept them, turned into messages:
/// <list type="bullet">
/// <item><c>&lt;body&gt;</c> is the body and <c>&lt;subject&gt;</c> the title (the one without <c>xml:lang</c>, else the first).</item>
/// <item>An XEP-0071 XHTML-IM <c>&lt;html&gt;&lt;body xmlns='http://www.w3.org/1999/xhtml'&gt;</c> replaces the plain body:
///   format html, body = the markup inside the XHTML body (sanitized again when sent).</item>
/// <item><c>type</c> chat, normal or headline is kept. <c>groupchat</c> means the <c>to</c> JID is a room: it becomes
///   <c>#room@service</c>, our room target syntax, and the type is left to the notifier (rooms always get groupchat).</item>
/// <item>The stanza's <c>to</c> gets the message; with an <c>&lt;addresses&gt;</c> block (XEP-0033, or the un-namespaced
///   http_message form) the outer <c>to</c> is the multicast service and is not a recipient, and every <c>to</c>/<c>cc</c>/<c>bcc</c>
///   address gets its own copy (<see cref="ExtendedStanzaAddressing"/>); duplicates are sent once. Without any recipient,
///   <c>To</c> is null: the URL's targets.</item>
/// </list>
/// The root may be in <c>jabber:client</c>, <c>jabber:server</c> or no namespace.
/// </summary>
public static class MessageStanza
{
    public static readonly XNamespace XhtmlImNamespace = "http://jabber.org/protocol/xhtml-im";
    public static readonly XNamespace XhtmlNamespace = "http://www.w3.org/1999/xhtml";

    private static readonly string[] StanzaNamespaces = ["jabber:client", "jabber:server", ""];

    public static IReadOnlyList<XmppMessage> Parse(string xml)
    {
        ArgumentNullException.ThrowIfNull(xml);
        var stanza = SafeXml.Load(xml);
        if (stanza.Name.LocalName != "message" || !StanzaNamespaces.Contains(stanza.Name.NamespaceName, StringComparer.Ordinal))
        {
            throw SafeXml.Error(stanza, $"Expected a <message> stanza (namespace jabber:client), but the root element is <{stanza.Name.LocalName}>{(stanza.Name.NamespaceName.Length > 0 ? $" in namespace {stanza.Name.NamespaceName}" : "")}.");
        }

        var ns = stanza.Name.Namespace;
        var template = new XmppMessage
        {
            Title = Localized(stanza, ns + "subject")?.Value,
            Body = Localized(stanza, ns + "body")?.Value,
            Id = stanza.Attribute("id")?.Value is { Length: > 0 } id ? id : null,
            ExtensionXml = Extensions(stanza),
        };

        var xhtml = stanza.Element(XhtmlImNamespace + "html") is { } html ? Localized(html, XhtmlNamespace + "body") : null;
        if (xhtml is not null)
        {
            var markup = InnerMarkup(xhtml);
            if (!string.IsNullOrWhiteSpace(markup))
            {
                template.Body = markup;
                template.Format = "html";
            }
        }

        var to = stanza.Attribute("to")?.Value.Trim();
        var type = stanza.Attribute("type")?.Value.Trim();
        switch (type)
        {
            case null or "":
                break;
            case "groupchat":
                if (!string.IsNullOrEmpty(to) && !to.StartsWith('#'))
                {
                    to = "#" + to;
                }

                break;
            case "chat" or "normal" or "headline":
                template.Type = type;
                break;
            default:
                throw SafeXml.Error(stanza.Attribute("type")!, $"The <message> type \"{type}\" cannot be sent; expected chat, normal, headline or groupchat.");
        }

        if (string.IsNullOrWhiteSpace(template.Title) && string.IsNullOrWhiteSpace(template.Body))
        {
            throw SafeXml.Error(stanza, "The <message> stanza has neither a <body> nor a <subject>; there is nothing to send.");
        }

        try
        {
            XmppMessageJson.Validate(template, "The <message> stanza");
        }
        catch (NotificationFormatException ex)
        {
            throw SafeXml.Error(stanza, ex.Message);
        }

        var recipients = new List<string>();
        var multicast = ExtendedStanzaAddressing.Blocks(stanza).Count > 0;

        // XEP-0033 §4: with <addresses>, the outer 'to' names the multicast service that expands them, not a recipient.
        if (!string.IsNullOrEmpty(to) && !multicast)
        {
            recipients.Add(to);
        }

        var addressed = ExtendedStanzaAddressing.Recipients(stanza);
        if (multicast && addressed.Count == 0)
        {
            throw SafeXml.Error(stanza, "The <message> carries <addresses> but none of them is a recipient (to, cc or bcc not yet delivered); there is nobody to send it to.");
        }

        // A set beside the list: a linear scan per address made thousands of them quadratic (bench: XmppBench linearity).
        var seen = new HashSet<string>(recipients, StringComparer.OrdinalIgnoreCase);
        foreach (var jid in addressed)
        {
            if (seen.Add(jid))
            {
                recipients.Add(jid);
            }
        }

        if (recipients.Count > XmppMessageJson.MaxRecipientsPerMessage)
        {
            throw SafeXml.Error(stanza, $"The stanza addresses {recipients.Count} recipients (the {XmppMessageJson.MaxRecipientsPerMessage + 1}th is '{recipients[XmppMessageJson.MaxRecipientsPerMessage]}'); at most {XmppMessageJson.MaxRecipientsPerMessage} are accepted per message.");
        }

        foreach (var recipient in recipients)
        {
            try
            {
                XmppMessageJson.CheckTargets(recipient, "The <message> stanza");
            }
            catch (NotificationFormatException ex)
            {
                throw SafeXml.Error(stanza, ex.Message);
            }
        }

        if (recipients.Count == 0)
        {
            return [template];
        }

        return recipients.Select(jid => new XmppMessage
        {
            To = jid,
            Title = template.Title,
            Body = template.Body,
            Format = template.Format,
            Type = template.Type,
            Id = template.Id,
            ExtensionXml = template.ExtensionXml,
        }).ToList();
    }

    /// <summary>
    /// Children in a namespace of their own are passed on as extension XML (custom clients read them); what the
    /// notifier builds itself is left out: body, subject and thread, XHTML-IM, XEP-0033 addresses, receipt requests.
    /// </summary>
    private static string? Extensions(XElement stanza)
    {
        var extensions = stanza.Elements().Where(e =>
            e.Name.Namespace != stanza.Name.Namespace && e.Name.Namespace != XNamespace.None
            && e.Name.Namespace != XhtmlImNamespace && e.Name.Namespace != ExtendedStanzaAddressing.Namespace
            && e.Name.NamespaceName != "urn:xmpp:receipts").ToList();
        return extensions.Count == 0 ? null : string.Concat(extensions.Select(e => e.ToString(SaveOptions.DisableFormatting)));
    }

    private static XElement? Localized(XElement parent, XName name) =>
        parent.Elements(name).FirstOrDefault(e => e.Attribute(XNamespace.Xml + "lang") is null) ?? parent.Elements(name).FirstOrDefault();

    /// <summary>The XHTML body's content as HTML text without namespace declarations, ready for the sanitizer.</summary>
    private static string InnerMarkup(XElement body)
    {
        var builder = new StringBuilder();
        foreach (var node in body.Nodes())
        {
            Write(builder, node);
        }

        return builder.ToString().Trim();
    }

    private static void Write(StringBuilder builder, XNode node)
    {
        switch (node)
        {
            case XText text:
                Escape(builder, text.Value, attribute: false);
                break;
            case XElement element:
                builder.Append('<').Append(element.Name.LocalName);
                foreach (var attribute in element.Attributes().Where(a => a.Name.Namespace == XNamespace.None))
                {
                    builder.Append(' ').Append(attribute.Name.LocalName).Append("=\"");
                    Escape(builder, attribute.Value, attribute: true);
                    builder.Append('"');
                }

                if (!element.Nodes().Any())
                {
                    builder.Append("/>");
                    break;
                }

                builder.Append('>');
                foreach (var child in element.Nodes())
                {
                    Write(builder, child);
                }

                builder.Append("</").Append(element.Name.LocalName).Append('>');
                break;
        }
    }

    private static void Escape(StringBuilder builder, string value, bool attribute)
    {
        foreach (var c in value)
        {
            _ = c switch
            {
                '&' => builder.Append("&amp;"),
                '<' => builder.Append("&lt;"),
                '>' => builder.Append("&gt;"),
                '"' when attribute => builder.Append("&quot;"),
                _ => builder.Append(c),
            };
        }
    }
}
