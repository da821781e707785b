using System.Xml.Linq;

namespace Xmpp.Notifications.Contracts.Requests;

/// <summary>
/// XEP-0033 Extended Stanza Addressing: the <c>&lt;addresses/&gt;</c> block of a posted stanza. We are the sender, not a
/// multicast service, so every <c>to</c>, <c>cc</c> and <c>bcc</c> address becomes its own message addressed only to
/// that JID (a blind copy: no recipient learns of the others). <c>replyto</c>, <c>replyroom</c>, <c>noreply</c> and
/// <c>ofrom</c> only describe replies and origin, and are ignored; addresses already marked <c>delivered='true'</c> are skipped.
/// <para>The older <c>http_message</c> API posts a non-standard form: <c>&lt;addresses&gt;&lt;address jid='…'/&gt;&lt;/addresses&gt;</c>
/// without the XEP-0033 namespace (so in the stanza's own namespace) and without <c>type</c>: every address is a blind copy.
/// In that form a missing type means <c>bcc</c>; in the XEP-0033 namespace a type is still required.</para>
/// </summary>
internal static class ExtendedStanzaAddressing
{
    public static readonly XNamespace Namespace = "http://jabber.org/protocol/address";

    private static readonly string[] RecipientTypes = ["to", "cc", "bcc"];
    private static readonly string[] InformationalTypes = ["replyto", "replyroom", "noreply", "ofrom"];

    /// <summary>The <c>&lt;addresses/&gt;</c> children of <paramref name="stanza"/>: XEP-0033's and the un-namespaced http_message form.</summary>
    public static IReadOnlyList<XElement> Blocks(XElement stanza) =>
        stanza.Elements().Where(e => e.Name.LocalName == "addresses" &&
            (e.Name.Namespace == Namespace || e.Name.Namespace == stanza.Name.Namespace || e.Name.Namespace == XNamespace.None)).ToList();

    /// <summary>The recipient JIDs of every <c>&lt;addresses/&gt;</c> child of <paramref name="stanza"/>, in document order.</summary>
    public static IReadOnlyList<string> Recipients(XElement stanza)
    {
        var recipients = new List<string>();
        foreach (var block in Blocks(stanza))
        {
            var ns = block.Name.Namespace;
            var legacy = ns != Namespace;
            var index = 0;
            foreach (var address in block.Elements().Where(e => e.Name.LocalName == "address" && e.Name.Namespace == ns))
            {
                index++;
                var where = $"<address> {index} of <addresses>";
                var type = address.Attribute("type")?.Value.Trim();
                if (string.IsNullOrEmpty(type) && legacy)
                {
                    type = "bcc";
                }

                if (string.IsNullOrEmpty(type))
                {
                    throw SafeXml.Error(address, $"{where} has no type attribute; expected to, cc or bcc.");
                }

                if (InformationalTypes.Contains(type, StringComparer.Ordinal))
                {
                    continue;
                }

                if (!RecipientTypes.Contains(type, StringComparer.Ordinal))
                {
                    throw SafeXml.Error(address, $"{where} has type \"{type}\", which XEP-0033 does not define; expected to, cc or bcc.");
                }

                if (string.Equals(address.Attribute("delivered")?.Value, "true", StringComparison.Ordinal))
                {
                    continue;
                }

                var jid = address.Attribute("jid")?.Value.Trim();
                if (string.IsNullOrEmpty(jid))
                {
                    var uri = address.Attribute("uri")?.Value;
                    throw SafeXml.Error(address, uri is null
                        ? $"{where} (type {type}) has no jid attribute."
                        : $"{where} (type {type}) has uri \"{uri}\" but no jid; only XMPP addresses can be delivered.");
                }

                recipients.Add(jid);
            }
        }

        return recipients;
    }
}
