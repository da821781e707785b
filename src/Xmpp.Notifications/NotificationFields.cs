using Xmpp.Client;

namespace Xmpp.Notifications;

/// <summary>
/// A notification from the text fields that JSON messages and binding attributes carry (format, type, a recipient
/// list), for every host of the notifier: the Functions binding and the function app's own senders read them alike.
/// </summary>
public static class NotificationFields
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

    /// <summary>
    /// The notification these fields describe; <paramref name="to"/> is split on commas, semicolons and whitespace.
    /// Throws <see cref="FormatException"/> naming the field for an unknown format or type, or for neither body nor title.
    /// </summary>
    public static Notification Create(string? to, string? title, string? body, string? format, string? type, string? id = null, string? extensionXml = null)
    {
        if (!TryParseFormat(format, out var parsedFormat))
        {
            throw new FormatException($"Unknown XMPP message format '{format}'; expected {Formats}.");
        }

        if (!TryParseType(type, out var parsedType))
        {
            throw new FormatException($"Unknown XMPP message type '{type}'; expected {Types} (rooms always get groupchat).");
        }

        if (string.IsNullOrEmpty(body) && string.IsNullOrEmpty(title))
        {
            throw new FormatException("An XMPP message needs a Body or a Title.");
        }

        var targets = to?.Split(TargetSeparators, StringSplitOptions.RemoveEmptyEntries);
        return new Notification(title, body ?? "")
        {
            Format = parsedFormat,
            Type = parsedType,
            Targets = targets is { Length: > 0 } ? targets : null,
            Id = id,
            ExtensionXml = extensionXml,
        };
    }
}
