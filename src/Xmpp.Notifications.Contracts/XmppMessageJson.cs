using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Xmpp.Notifications.Contracts.Json;
using Xmpp.Notifications.Contracts.Requests;

namespace Xmpp.Notifications.Contracts;

/// <summary>
/// Reads and writes the <see cref="XmppMessage"/> JSON contract without reflection (the assembly is trimming/AOT safe).
/// <list type="bullet">
/// <item>A payload is one message object or an array of them (each becomes one message).</item>
/// <item>Property names are matched in any case: the isolated worker sends <c>"To"</c>, people write <c>"to"</c>.
///   Two spellings of one property in the same object are rejected; unknown properties are ignored.</item>
/// <item><c>to</c> is a string (targets separated by commas, semicolons or whitespace) or an array of strings.</item>
/// <item><c>format</c> and <c>type</c> are validated and returned in lower case.</item>
/// </list>
/// Every rejection is a <see cref="NotificationFormatException"/> naming the property path and line.
/// </summary>
public static class XmppMessageJson
{
    /// <summary>Largest accepted payload: 256 KiB of UTF-8.</summary>
    public const int MaxPayloadBytes = 256 * 1024;

    /// <summary>Most messages one payload may fan out to.</summary>
    public const int MaxMessagesPerPayload = 100;

    /// <summary>
    /// Most distinct recipients one message may name (its <c>to</c>, or a stanza's XEP-0033 addresses); the binding's
    /// own caps (host.json <c>maxRecipientsPerNotification</c>, <c>maxRecipientsPerInvocation</c>) apply after it.
    /// </summary>
    public const int MaxRecipientsPerMessage = 50;

    private static readonly char[] TargetSeparators = [',', ';', ' ', '\t', '\r', '\n', '\f', '\v'];

    /// <summary>Largest body (and title) of one message: 64 KiB of UTF-8.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    /// <summary>Deepest JSON nesting accepted; real payloads need 4.</summary>
    public const int MaxJsonDepth = 16;

    /// <summary>Accepted <see cref="XmppMessage.Format"/> values.</summary>
    public static IReadOnlyList<string> Formats { get; } = ["text", "markdown", "html"];

    /// <summary>Accepted <see cref="XmppMessage.Type"/> values.</summary>
    public static IReadOnlyList<string> Types { get; } = ["chat", "normal", "headline"];

    public static IReadOnlyList<XmppMessage> Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Parse(Encoding.UTF8.GetBytes(json));
    }

    public static IReadOnlyList<XmppMessage> Parse(ReadOnlySpan<byte> utf8Json)
    {
        CheckPayloadSize(utf8Json.Length);
        var root = JsonItem.Parse(SkipBom(utf8Json), MaxJsonDepth);
        switch (root.Kind)
        {
            case JsonValueKind.Object:
                return [ReadMessage(root)];
            case JsonValueKind.Array:
                if (root.Items.Count == 0)
                {
                    throw root.Error("The JSON array is empty; send at least one message.");
                }

                if (root.Items.Count > MaxMessagesPerPayload)
                {
                    throw root.Error($"The JSON array has {root.Items.Count} messages; at most {MaxMessagesPerPayload} are accepted per payload.");
                }

                return root.Items.Select(item => item.Kind == JsonValueKind.Object
                    ? ReadMessage(item)
                    : throw item.Error($"{item.Name} must be a message object, but it is {item.KindName}.")).ToList();
            default:
                throw root.Error($"The payload must be a message object or an array of them, but it is {root.KindName}.");
        }
    }

    /// <summary>camelCase JSON with null properties left out; what <see cref="Parse(string)"/> reads back.</summary>
    public static string Serialize(XmppMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            WriteIfSet(writer, "to", message.To);
            WriteIfSet(writer, "title", message.Title);
            WriteIfSet(writer, "body", message.Body);
            WriteIfSet(writer, "format", message.Format);
            WriteIfSet(writer, "type", message.Type);
            WriteIfSet(writer, "id", message.Id);
            WriteIfSet(writer, "extensionXml", message.ExtensionXml);
            WriteIfSet(writer, "tag", message.Tag);
            WriteIfSet(writer, "key", message.Key);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteIfSet(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    internal static void CheckPayloadSize(int bytes)
    {
        if (bytes > MaxPayloadBytes)
        {
            throw new NotificationFormatException($"The payload is {bytes:N0} bytes; the limit is {MaxPayloadBytes:N0} bytes (256 KiB).");
        }
    }

    internal static ReadOnlySpan<byte> SkipBom(ReadOnlySpan<byte> utf8) =>
        utf8.StartsWith("\uFEFF"u8) ? utf8[3..] : utf8;

    private static XmppMessage ReadMessage(JsonItem item)
    {
        var message = new XmppMessage
        {
            To = ReadTargets(item),
            Title = item.GetString("title"),
            Body = item.GetString("body"),
            Format = item.GetString("format"),
            Type = item.GetString("type"),
            Id = item.GetString("id"),
            ExtensionXml = item.GetString("extensionXml"),
            Tag = item.GetString("tag"),
            Key = item.GetString("key"),
        };
        var where = item.Path.Length == 0 ? "The message" : $"The message at {item.Path}";
        try
        {
            Validate(message, where);
        }
        catch (NotificationFormatException ex)
        {
            // Point at the offending property when there is one, otherwise at the object.
            var property = ex.Path is { } name ? item.Find(name) : null;
            throw (property ?? item).Error(ex.Message);
        }

        return message;
    }

    private static string? ReadTargets(JsonItem message)
    {
        var to = message.Find("to");
        if (to is null || to.Kind == JsonValueKind.Null)
        {
            return null;
        }

        if (to.Kind == JsonValueKind.String)
        {
            return to.Text;
        }

        if (to.Kind != JsonValueKind.Array)
        {
            throw to.Error($"{to.Name} must be a string or an array of strings, but it is {to.KindName}.");
        }

        foreach (var target in to.Items)
        {
            if (target.Kind != JsonValueKind.String)
            {
                throw target.Error($"{target.Name} must be a string, but it is {target.KindName}.");
            }
        }

        return string.Join(",", to.Items.Select(t => t.Text));
    }

    /// <summary>
    /// The rules every message obeys, whichever parser made it: something to say, sizes within limits, known format and type
    /// (normalized to lower case). <paramref name="where"/> starts the error message, e.g. "The message at [2]".
    /// Thrown exceptions carry the property name in <see cref="NotificationFormatException.Path"/>.
    /// </summary>
    internal static void Validate(XmppMessage message, string where)
    {
        if (string.IsNullOrWhiteSpace(message.Title) && string.IsNullOrWhiteSpace(message.Body))
        {
            throw new NotificationFormatException($"{where} has neither a title nor a body; set \"body\" (and optionally \"title\").", null, null, null);
        }

        CheckTargets(message.To, where);
        CheckSize(message.Body, "body", where);
        CheckSize(message.Title, "title", where);
        message.Format = Normalize(message.Format, "format", Formats, where);
        message.Type = Normalize(message.Type, "type", Types, where);
        if (message.Id is not null)
        {
            message.Id = ExtensionXml.ValidateId(message.Id, where);
        }

        if (message.ExtensionXml is not null)
        {
            message.ExtensionXml = ExtensionXml.Validate(message.ExtensionXml, where);
        }

        if (message.Key is not null && !Requests.AppriseApiNotify.IsValidKey(message.Key))
        {
            throw new NotificationFormatException($"{where} has a \"key\" that is not 1 to 128 letters, digits, '_' or '-'.", "key", null, null);
        }

        if (message.Tag is not null && !Requests.AppriseApiNotify.IsValidBindingTag(message.Tag))
        {
            throw new NotificationFormatException($"{where} has a \"tag\" with characters a tag cannot have; tags are letters, digits, '_', '-' and '.', joined by ',' (all of) or ';' (any of).", "tag", null, null);
        }
    }

    /// <summary>
    /// An address cannot carry control characters, noncharacters or lone surrogates (RFC 7622 with PRECIS); refusing
    /// them here gives the caller a 400 naming the target instead of a failure in the middle of a delivery.
    /// </summary>
    internal static void CheckTargets(string? to, string where)
    {
        if (to is null)
        {
            return;
        }

        var targets = to.Split(TargetSeparators, StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.OrdinalIgnoreCase).Take(MaxRecipientsPerMessage + 1).ToList();
        if (targets.Count > MaxRecipientsPerMessage)
        {
            throw new NotificationFormatException(
                $"{where} names more than {MaxRecipientsPerMessage} recipients in to (the {MaxRecipientsPerMessage + 1}th is \"{JsonItem.Abbreviate(targets[^1])}\"); at most {MaxRecipientsPerMessage} are accepted per message.",
                "to", null, null);
        }

        for (var i = 0; i < to.Length; i++)
        {
            var c = to[i];
            if (char.IsHighSurrogate(c) && i + 1 < to.Length && char.IsLowSurrogate(to[i + 1]))
            {
                if ((char.ConvertToUtf32(c, to[i + 1]) & 0xFFFE) == 0xFFFE)
                {
                    throw BadTarget(to, i, "a noncharacter", where);
                }

                i++;
                continue;
            }

            if (char.IsSurrogate(c))
            {
                throw BadTarget(to, i, "a lone surrogate (invalid Unicode)", where);
            }

            if (char.IsControl(c) && c is not '\t' and not '\n' and not '\r')
            {
                // TAB, CR and LF separate targets in a list; every other control character is refused.
                throw BadTarget(to, i, $"the control character U+{(int)c:X4}", where);
            }

            if (c is >= '\uFDD0' and <= '\uFDEF' or '\uFFFE' or '\uFFFF')
            {
                throw BadTarget(to, i, $"the noncharacter U+{(int)c:X4}", where);
            }
        }
    }

    private static NotificationFormatException BadTarget(string to, int index, string what, string where)
    {
        // Name the target that holds it (lists split like Apprise's: commas, semicolons, whitespace).
        char[] separators = [',', ';', ' ', '\t', '\n', '\r'];
        var start = to.LastIndexOfAny(separators, index) + 1;
        var end = to.IndexOfAny(separators, index);
        var shown = new StringBuilder();
        foreach (var ch in to[start..(end < 0 ? to.Length : end)])
        {
            if (char.IsControl(ch) || char.IsSurrogate(ch) || ch is >= '\uFDD0' and <= '\uFDEF' or '\uFFFE' or '\uFFFF')
            {
                shown.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\u{(int)ch:X4}");
            }
            else
            {
                shown.Append(ch);
            }
        }

        return new NotificationFormatException($"{where}: the target \"{JsonItem.Abbreviate(shown.ToString())}\" in to contains {what}; an XMPP address cannot.", "to", null, null);
    }

    private static void CheckSize(string? value, string name, string where)
    {
        if (value is null)
        {
            return;
        }

        var bytes = Encoding.UTF8.GetByteCount(value);
        if (bytes > MaxBodyBytes)
        {
            throw new NotificationFormatException($"{where}: {name} is {bytes:N0} bytes of UTF-8; the limit is {MaxBodyBytes:N0} bytes (64 KiB).", name, null, null);
        }
    }

    private static string? Normalize(string? value, string name, IReadOnlyList<string> allowed, string where)
    {
        if (value is null)
        {
            return null;
        }

        foreach (var candidate in allowed)
        {
            if (string.Equals(candidate, value.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return candidate;
            }
        }

        throw new NotificationFormatException(
            $"{where}: {name} \"{JsonItem.Abbreviate(value)}\" is not supported; expected {string.Join(", ", allowed.Take(allowed.Count - 1))} or {allowed[^1]}.",
            name, null, null);
    }
}
