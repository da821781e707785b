using System.Text;
using System.Xml.Linq;

namespace Xmpp.Notifications.Contracts.Requests;

/// <summary>
/// Rules for the raw parts of a message, <see cref="XmppMessage.ExtensionXml"/> and <see cref="XmppMessage.Id"/>,
/// whichever front end carried them: well-formed, DTD-free, bounded, and unable to replace what the notifier writes.
/// </summary>
public static class ExtensionXml
{
    /// <summary>Largest extension XML: 16 KiB of UTF-8.</summary>
    public const int MaxBytes = 16 * 1024;

    /// <summary>Most top-level extension elements.</summary>
    public const int MaxElements = 32;

    /// <summary>Longest stanza id, in characters.</summary>
    public const int MaxIdLength = 128;

    private const string ClientNamespace = "jabber:client";

    /// <summary>
    /// Namespaces the notifier writes itself: the stanza's own children (body, subject, thread), XHTML-IM and receipt
    /// requests. Extension XML may not carry them, so a payload cannot contradict the rendered message.
    /// </summary>
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        ClientNamespace, "jabber:server", "http://jabber.org/protocol/xhtml-im", "urn:xmpp:receipts",
    };

    /// <summary>Checks <paramref name="xml"/> and returns it normalized (elements only, no comments); throws <see cref="NotificationFormatException"/>.</summary>
    public static string Validate(string xml, string where)
    {
        ArgumentNullException.ThrowIfNull(xml);
        var bytes = Encoding.UTF8.GetByteCount(xml);
        if (bytes > MaxBytes)
            throw new NotificationFormatException($"{where}: extensionXml is {bytes:N0} bytes of UTF-8; the limit is {MaxBytes:N0} bytes (16 KiB).", "extensionXml", null, null);
        XElement wrapper;
        try
        {
            // jabber:client as the default namespace makes un-namespaced elements stanza children, which are refused below.
            wrapper = SafeXml.Load($"<x xmlns='{ClientNamespace}'>{xml}</x>");
        }
        catch (NotificationFormatException e)
        {
            throw new NotificationFormatException($"{where}: extensionXml: {e.Message}", "extensionXml", null, null, e);
        }
        if (wrapper.Nodes().OfType<XText>().Any(t => !string.IsNullOrWhiteSpace(t.Value)))
            throw new NotificationFormatException($"{where}: extensionXml may contain only elements, not text.", "extensionXml", null, null);
        var elements = wrapper.Elements().ToList();
        if (elements.Count == 0)
            throw new NotificationFormatException($"{where}: extensionXml has no element.", "extensionXml", null, null);
        if (elements.Count > MaxElements)
            throw new NotificationFormatException($"{where}: extensionXml has {elements.Count} elements; at most {MaxElements} are accepted.", "extensionXml", null, null);
        foreach (var element in elements)
        {
            var ns = element.Name.NamespaceName;
            if (Reserved.Contains(ns))
            {
                throw new NotificationFormatException(
                    ns == ClientNamespace
                        ? $"{where}: extensionXml element <{element.Name.LocalName}> has no namespace of its own; extension elements need one (xmlns='…'), and body, subject and thread come from the message itself."
                        : $"{where}: extensionXml element <{element.Name.LocalName}> is in namespace {ns}, which the notifier writes itself (use the format or the URL's receipts=).",
                    "extensionXml", null, null);
            }
        }
        return string.Concat(elements.Select(e => e.ToString(SaveOptions.DisableFormatting | SaveOptions.OmitDuplicateNamespaces)));
    }

    /// <summary>Checks a caller-chosen stanza id: 1 to <see cref="MaxIdLength"/> characters, no whitespace or control characters.</summary>
    public static string ValidateId(string id, string where)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (id.Length is 0 or > MaxIdLength || id.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
            throw new NotificationFormatException($"{where}: id \"{Json.JsonItem.Abbreviate(id)}\" must be 1 to {MaxIdLength} characters without spaces or control characters.", "id", null, null);
        return id;
    }
}
