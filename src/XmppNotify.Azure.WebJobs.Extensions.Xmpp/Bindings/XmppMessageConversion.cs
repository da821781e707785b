using Xmpp.Client;
using Xmpp.Notifications;
using Xmpp.Notifications.Contracts;
using Xmpp.Notifications.Contracts.Requests;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp.Bindings;

/// <summary>Maps the loosely typed <see cref="XmppMessage"/> (strings, as JSON carries them) to a <see cref="Notification"/>.</summary>
internal static class XmppMessageConversion
{
    public const string Formats = "text, markdown or html";
    public const string Types = "chat, normal or headline";

    private static readonly char[] TargetSeparators = [',', ';', ' ', '\t', '\r', '\n'];

    public static bool TryParseFormat(string? value, out NotifyFormat format)
    {
        format = NotifyFormat.Text;
        switch (value?.Trim().ToUpperInvariant())
        {
            case null or "" or "TEXT":
                return true;
            case "MARKDOWN":
                format = NotifyFormat.Markdown;
                return true;
            case "HTML":
                format = NotifyFormat.Html;
                return true;
            default:
                return false;
        }
    }

    public static bool TryParseType(string? value, out MessageType type)
    {
        type = MessageType.Chat;
        switch (value?.Trim().ToUpperInvariant())
        {
            case null or "" or "CHAT":
                return true;
            case "NORMAL":
                type = MessageType.Normal;
                return true;
            case "HEADLINE":
                type = MessageType.Headline;
                return true;
            default:
                return false;
        }
    }

    /// <summary>Fills what the message leaves empty from the attribute, then validates; throws <see cref="InvalidOperationException"/>.</summary>
    public static Notification ToNotification(XmppMessage message, XmppAttribute defaults)
    {
        string? to = Coalesce(message.To, defaults.To);
        string? title = Coalesce(message.Title, defaults.Title);
        string? body = Coalesce(message.Body, defaults.Body);
        string? formatText = Coalesce(message.Format, defaults.Format);
        string? typeText = Coalesce(message.Type, defaults.Type);

        if (!TryParseFormat(formatText, out var format))
        {
            throw new InvalidOperationException($"Unknown XMPP message format '{formatText}'; expected {Formats}.");
        }

        if (!TryParseType(typeText, out var type))
        {
            throw new InvalidOperationException($"Unknown XMPP message type '{typeText}'; expected {Types} (rooms always get groupchat).");
        }

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

        var targets = to?.Split(TargetSeparators, StringSplitOptions.RemoveEmptyEntries);
        return new Notification(title, body ?? "")
        {
            Format = format,
            Type = type,
            Targets = targets is { Length: > 0 } ? targets : null,
            Id = id,
            ExtensionXml = extensionXml,
        };
    }

    private static string? Coalesce(string? fromMessage, string? fromAttribute) =>
        !string.IsNullOrEmpty(fromMessage) ? fromMessage : string.IsNullOrEmpty(fromAttribute) ? null : fromAttribute;
}
