using Xmpp.Notifications;
using Xmpp.Notifications.Contracts;
using Xmpp.Notifications.Contracts.Requests;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp.Bindings;

/// <summary>Maps the loosely typed <see cref="XmppMessage"/> (strings, as JSON carries them) to a <see cref="Notification"/>.</summary>
internal static class XmppMessageConversion
{
    /// <summary>Fills what the message leaves empty from the attribute, then validates; throws <see cref="InvalidOperationException"/>.</summary>
    public static Notification ToNotification(XmppMessage message, XmppAttribute defaults)
    {
        string? to = Coalesce(message.To, defaults.To);
        string? title = Coalesce(message.Title, defaults.Title);
        string? body = Coalesce(message.Body, defaults.Body);
        string? formatText = Coalesce(message.Format, defaults.Format);
        string? typeText = Coalesce(message.Type, defaults.Type);

        if (string.IsNullOrEmpty(body) && string.IsNullOrEmpty(title))
        {
            throw new InvalidOperationException("An XMPP message needs a Body or a Title (from the message or from the [Xmpp] attribute).");
        }

        string? id = message.Id, extensionXml = message.ExtensionXml;
        try
        {
            id = id is null ? null : ExtensionXml.ValidateId(id, "The XMPP message");
            extensionXml = extensionXml is null ? null : ExtensionXml.Validate(extensionXml, "The XMPP message");
        }
        catch (NotificationFormatException e)
        {
            throw new InvalidOperationException(e.Message, e);
        }

        try
        {
            return NotificationFields.Create(to, title, body, formatText, typeText, id, extensionXml);
        }
        catch (FormatException e)
        {
            throw new InvalidOperationException(e.Message, e);
        }
    }

    private static string? Coalesce(string? fromMessage, string? fromAttribute) =>
        !string.IsNullOrEmpty(fromMessage) ? fromMessage : string.IsNullOrEmpty(fromAttribute) ? null : fromAttribute;
}
