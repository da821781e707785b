using System.Text.Json;
using Xmpp.Notifications.Contracts.Json;

namespace Xmpp.Notifications.Contracts.Requests;

/// <summary>
/// A notification in the Apprise API's shape (<c>POST /notify/{key}</c>, as Apprise's own <c>apprise://</c> and
/// <c>apprises://</c> URLs and the tools built on the API send it): JSON or form fields <c>body</c> (required),
/// <c>title</c>, <c>type</c> (<c>info</c>, <c>success</c>, <c>warning</c>, <c>failure</c>), <c>format</c> (<c>text</c>,
/// <c>markdown</c>, <c>html</c>) and <c>tag</c> (also <c>tags</c>), the API's tag expression: a comma separates
/// alternatives, a space joins tags that must all match.
/// <para>The Apprise notification type has no XMPP equivalent; a <c>warning</c> or <c>failure</c> is marked in the
/// title (<c>[WARNING]</c>, <c>[FAILURE]</c>) so that it still stands out in a chat. Fields Apprise API clients may add
/// (<c>attach</c>, <c>attachment</c>, <c>urls</c>) are refused: attachments are not relayed, and a caller naming its
/// own URLs would turn the relay into an open one.</para>
/// </summary>
public sealed class AppriseApiRequest
{
    private static readonly string[] NotificationTypes = ["info", "success", "warning", "failure"];

    public required XmppMessage Message { get; init; }

    /// <summary>The API's tag expression as given, or null: select with <c>AppriseTagFilter.FromApiExpression</c>.</summary>
    public string? Tag { get; init; }

    /// <summary>The Apprise notification type, lower case: info (default), success, warning or failure.</summary>
    public string Type { get; init; } = "info";

    public static AppriseApiRequest Parse(string? contentType, ReadOnlyMemory<byte> body)
    {
        if (body.IsEmpty)
        {
            throw new NotificationFormatException("The request body is empty; send {\"body\": \"...\"} as JSON or body=... as a form.");
        }

        XmppMessageJson.CheckPayloadSize(body.Length);
        var bytes = XmppMessageJson.SkipBom(body.Span);
        var text = NotificationRequestParser.DecodeUtf8(bytes);
        var media = (contentType ?? "").Split(';')[0].Trim().ToLowerInvariant();
        var json = media is "application/json" or "text/json" || (media.Length == 0 && text.TrimStart().StartsWith('{'));
        var fields = new List<KeyValuePair<string, string>>();
        if (json)
        {
            var root = JsonItem.Parse(bytes, XmppMessageJson.MaxJsonDepth);
            if (root.Kind != JsonValueKind.Object)
            {
                throw root.Error($"The payload must be a JSON object with \"body\", but it is {root.KindName}.");
            }

            foreach (var (name, value) in root.Properties)
            {
                fields.Add(new(name.ToLowerInvariant(), value.Kind switch
                {
                    JsonValueKind.String => value.Text!,
                    JsonValueKind.Null => "",
                    JsonValueKind.Array when name.Equals("tag", StringComparison.OrdinalIgnoreCase) || name.Equals("tags", StringComparison.OrdinalIgnoreCase) =>
                        string.Join(", ", value.Items.Select(i => i.Kind == JsonValueKind.String ? i.Text : throw i.Error($"{i.Name} must be a string, but it is {i.KindName}."))),
                    _ => throw value.Error($"{value.Name} must be a string, but it is {value.KindName}."),
                }));
            }
        }
        else if (media is "application/x-www-form-urlencoded" or "")
        {
            fields.AddRange(FormUrlEncoded.Parse(text));
        }
        else
        {
            throw new NotificationFormatException($"Content-Type \"{media}\" is not supported here; send application/json or application/x-www-form-urlencoded, as Apprise API clients do.");
        }

        string? title = null, messageBody = null, format = null, tag = null, type = null;
        foreach (var (name, value) in fields)
        {
            switch (name)
            {
                case "body":
                    messageBody = Once(messageBody, value, name);
                    break;
                case "title":
                    title = Once(title, value, name);
                    break;
                case "format":
                    format = Once(format, value, name);
                    break;
                case "type":
                    type = Once(type, value, name);
                    break;
                case "tag" or "tags":
                    tag = Once(tag, value, "tag");
                    break;
                case "attach" or "attachment" or "attachments":
                    throw new NotificationFormatException("Attachments are not relayed over XMPP; send the notification without \"attach\".");
                case "urls":
                    throw new NotificationFormatException("\"urls\" is refused: this relay sends only to the URLs of its stored configuration.");
                default:
                    throw new NotificationFormatException($"The field \"{JsonItem.Abbreviate(name)}\" is not part of the Apprise API's notify payload; expected body, title, type, format and tag.");
            }
        }

        if (string.IsNullOrWhiteSpace(messageBody))
        {
            throw new NotificationFormatException("\"body\" is missing or empty; the Apprise API requires a body.");
        }

        var notificationType = string.IsNullOrWhiteSpace(type) ? "info" : type.Trim().ToLowerInvariant();
        if (!NotificationTypes.Contains(notificationType, StringComparer.Ordinal))
        {
            throw new NotificationFormatException($"\"type\" is \"{JsonItem.Abbreviate(type!)}\"; expected info, success, warning or failure.");
        }

        var marker = notificationType is "warning" or "failure" ? $"[{notificationType.ToUpperInvariant()}]" : null;
        var message = new XmppMessage
        {
            Title = marker is null ? NullIfBlank(title) : string.IsNullOrWhiteSpace(title) ? marker : $"{marker} {title.Trim()}",
            Body = messageBody,
            Format = string.IsNullOrWhiteSpace(format) ? "text" : format,
        };
        XmppMessageJson.Validate(message, "The Apprise API payload");
        return new AppriseApiRequest { Message = message, Tag = NullIfBlank(tag), Type = notificationType };
    }

    private static string Once(string? current, string value, string name) =>
        current is null ? value : throw new NotificationFormatException($"\"{name}\" is given twice; send it once.");

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
