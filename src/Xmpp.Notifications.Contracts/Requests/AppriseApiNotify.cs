using System.Net;

namespace Xmpp.Notifications.Contracts.Requests;

/// <summary>What <c>POST /api/notify/{key}</c> answers before anything is sent: a status and a plain-text reason.</summary>
public sealed record AppriseApiAnswer(HttpStatusCode Status, string Text);

/// <summary>
/// The Apprise API's stateful notify route (<c>POST /notify/{KEY}</c> in caronc/apprise-api), so that Apprise's own
/// <c>apprise://</c>/<c>apprises://</c> URLs and tools built on the Apprise API can notify through the function app.
/// <para>The payload is read by <see cref="AppriseApiRequest"/>. The <c>{key}</c> names a stored configuration: the app
/// setting <c>XmppConnection__&lt;key&gt;</c>, a child of the binding's connection setting, holding Apprise TEXT or YAML
/// configuration, URLs, or Key Vault secret URIs whose secrets hold them. The message leaves with
/// <see cref="XmppMessage.Key"/> and <see cref="XmppMessage.Tag"/> set; the binding reads that setting and sends to
/// exactly the URLs the tags select.</para>
/// </summary>
public static class AppriseApiNotify
{
    /// <summary>
    /// The binding's connection setting (the default one); its children <c>XmppConnection__&lt;key&gt;</c> hold the
    /// configurations, so the endpoint needs no setting of its own and cannot reach any other setting.
    /// </summary>
    public const string Connection = "XmppConnection";

    public const int MaxKeyLength = 128;

    /// <summary>The Apprise API's success text.</summary>
    public const string Sent = "Notification(s) sent.";

    /// <summary>The app setting that holds the configuration for <paramref name="key"/>.</summary>
    public static string SettingName(string key) => $"{Connection}__{key}";

    /// <summary>1 to 128 ASCII letters, digits, <c>_</c> or <c>-</c>: the Apprise API's key alphabet, and safe in a setting name.</summary>
    public static bool IsValidKey(string? key) =>
        key is { Length: > 0 and <= MaxKeyLength } && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');

    /// <summary>A tag in the binding's spelling: tags joined by <c>,</c> (all of) or <c>;</c> (any of).</summary>
    public static bool IsValidBindingTag(string tag) =>
        tag.Length <= 4096 && tag.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ',' or ';' or ' ');

    /// <summary>The key from a request path ending in <c>/notify/{key}</c>; null when the path has no such segment.</summary>
    public static string? KeyFromPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return segments.Length >= 2 && segments[^2].Equals("notify", StringComparison.OrdinalIgnoreCase)
            ? Uri.UnescapeDataString(segments[^1])
            : null;
    }

    /// <summary>
    /// Checks the key and reads the payload. Returns the message to send, or the answer to give instead:
    /// 400 for a bad key or payload, 204 when no configuration is stored under the key (as the Apprise API answers).
    /// </summary>
    /// <param name="readSetting">Reads an app setting; used only to see whether the key's configuration exists.</param>
    public static (XmppMessage? Message, AppriseApiAnswer? Answer) Parse(string? key, string? contentType, ReadOnlyMemory<byte> body, Func<string, string?> readSetting)
    {
        ArgumentNullException.ThrowIfNull(readSetting);
        if (!IsValidKey(key))
        {
            return (null, new(HttpStatusCode.BadRequest, $"The key in /notify/{{key}} must be 1 to {MaxKeyLength} letters, digits, '_' or '-'."));
        }

        if (string.IsNullOrWhiteSpace(readSetting(SettingName(key!))))
        {
            return (null, new(HttpStatusCode.NoContent, "There was no configuration found."));
        }

        try
        {
            var request = AppriseApiRequest.Parse(contentType, body);
            var message = request.Message;
            message.Key = key;
            message.Tag = request.Tag is null ? null : ToBindingTag([request.Tag]);
            return (message, null);
        }
        catch (NotificationFormatException e)
        {
            return (null, new(HttpStatusCode.BadRequest, e.Message));
        }
    }

    /// <summary>
    /// The API's tag expressions (comma: any of; space: all of) in the binding's spelling (<c>;</c>: any of;
    /// <c>,</c>: all of). Null when no tag was given: then only untagged URLs are selected, as in Apprise.
    /// </summary>
    public static string? ToBindingTag(IEnumerable<string> expressions)
    {
        ArgumentNullException.ThrowIfNull(expressions);
        var alternatives = new List<string>();
        foreach (var expression in expressions)
        {
            foreach (var alternative in expression.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var tags = alternative.Split([' ', '\t', '+'], StringSplitOptions.RemoveEmptyEntries);
                foreach (var tag in tags)
                {
                    if (!tag.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
                    {
                        throw new NotificationFormatException($"The tag \"{Json.JsonItem.Abbreviate(tag)}\" has characters a tag cannot have; tags are letters, digits, '_', '-' and '.'.");
                    }
                }

                if (tags.Length > 0)
                {
                    alternatives.Add(string.Join(',', tags));
                }
            }
        }

        return alternatives.Count == 0 ? null : string.Join(';', alternatives);
    }
}
