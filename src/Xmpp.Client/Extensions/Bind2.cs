using System.Xml.Linq;

namespace Xmpp.Client;

/// <summary>
/// XEP-0386 Bind 2: the resource is bound inside the SASL2 authentication, so the session can send stanzas as soon as
/// the success arrives, with no stream restart and no bind request.
/// </summary>
public sealed partial class XmppClient
{
    // No <tag/>: a tag makes the server derive the resource from it and the user-agent id, so concurrent sessions of one
    // process would ask for the same resource and each new one would end the one before. Without it every session
    // gets a fresh resource, as with an RFC 6120 bind that names none.
    private static readonly string Bind2Request = $"<bind xmlns='{Namespaces.Bind2}'/>";

    /// <summary>The inline bind's result in a SASL2 success: the bound JID, or the failure that ends the session.</summary>
    private void OnBind2Result(XElement success)
    {
        if (success.Element(XName.Get("failed", Namespaces.Bind2)) is { } failed)
        {
            var error = failed.Elements().FirstOrDefault(e => e.Name.LocalName == "error");
            var condition = error?.Elements().FirstOrDefault(e => e.Name.NamespaceName == Namespaces.Stanzas && e.Name.LocalName != "text")?.Name.LocalName;
            var text = (string?)error?.Elements().FirstOrDefault(e => e.Name.LocalName == "text");
            throw new XmppStanzaErrorException(new StanzaError((string?)error?.Attribute("type") ?? "cancel", condition ?? "undefined-condition", text), "Resource binding failed");
        }
        if (success.Element(XName.Get("bound", Namespaces.Bind2)) is null)
            throw new XmppProtocolException("The server authenticated the session but did not bind the resource it was asked to bind (XEP-0386).", "bad-format");
        // The authorization identifier is the full JID once a resource is bound (XEP-0388 §2.4).
        var jidText = (string?)success.Element(XName.Get("authorization-identifier", Namespaces.Sasl2));
        BoundJid = Jid.TryParse(jidText, out var bound) && bound!.Resource is not null
            ? bound
            : throw new XmppProtocolException($"The server bound an invalid JID '{jidText}'.", "bad-format");
    }
}
