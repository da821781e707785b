using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Xmpp.Notifications.Contracts.Requests;

/// <summary>
/// Turns a request body (HTTP POST or queue message) into messages, by content type:
/// <list type="bullet">
/// <item><c>application/json</c>, <c>text/json</c> and any <c>*/*+json</c>: the <see cref="XmppMessage"/> contract,
///   one object or an array of them (<see cref="XmppMessageJson"/>).</item>
/// <item><c>text/plain</c>: the whole text is the body, format text. The first line is <em>not</em> taken as a title
///   (a one-line alert would lose its body); send JSON or a stanza to set a title. Trailing line breaks are trimmed.</item>
/// <item><c>text/markdown</c> and <c>text/html</c>: the same, with format markdown or html.</item>
/// <item><c>application/xml</c>, <c>text/xml</c>, <c>application/xmpp+xml</c> and any <c>*/*+xml</c>: one XMPP
///   <c>&lt;message/&gt;</c> stanza, the way Prosody's mod_rest and mod_post_msg take them (see <see cref="MessageStanza"/>).</item>
/// <item>No content type: sniffed from the first non-blank character: <c>{</c> or <c>[</c> is JSON, <c>&lt;</c> is XML,
///   anything else is plain text.</item>
/// </list>
/// The charset parameter, when present, must be UTF-8 (or its subset US-ASCII). Bodies must be non-empty, at most
/// <see cref="XmppMessageJson.MaxPayloadBytes"/> and valid UTF-8; anything else is a <see cref="NotificationFormatException"/>.
/// </summary>
public static class NotificationRequestParser
{
    /// <summary>Content types <see cref="Parse"/> accepts, for error messages and API documentation.</summary>
    public static IReadOnlyList<string> SupportedContentTypes { get; } =
        ["application/json", "text/plain", "text/markdown", "text/html", "application/xml", "text/xml", "application/xmpp+xml"];

    public static IReadOnlyList<XmppMessage> Parse(string? contentType, ReadOnlyMemory<byte> body)
    {
        var kind = Classify(contentType);
        if (body.IsEmpty)
        {
            throw new NotificationFormatException("The request body is empty; send a notification.");
        }

        XmppMessageJson.CheckPayloadSize(body.Length);
        var bytes = XmppMessageJson.SkipBom(body.Span);
        var text = DecodeUtf8(bytes);
        if (kind == PayloadKind.Sniff)
        {
            kind = Sniff(text);
        }

        return kind switch
        {
            PayloadKind.Json => XmppMessageJson.Parse(bytes),
            PayloadKind.Xml => MessageStanza.Parse(text),
            PayloadKind.Markdown => [TextMessage(text, "markdown")],
            PayloadKind.Html => [TextMessage(text, "html")],
            _ => [TextMessage(text, "text")],
        };
    }

    /// <summary>Strict UTF-8 decoding: a bad byte is reported with its offset and line instead of becoming U+FFFD.</summary>
    internal static string DecodeUtf8(ReadOnlySpan<byte> bytes)
    {
        var chars = ArrayPool<char>.Shared.Rent(bytes.Length);
        try
        {
            var status = Utf8.ToUtf16(bytes, chars, out var read, out var written, replaceInvalidSequences: false);
            if (status != System.Buffers.OperationStatus.Done)
            {
                var line = 1 + bytes[..read].Count((byte)'\n');
                var lineStart = bytes[..read].LastIndexOf((byte)'\n') + 1;
                throw new NotificationFormatException(
                    $"The body is not valid UTF-8: byte 0x{bytes[read]:X2} at offset {read} does not form a character; send UTF-8 text.",
                    null, line, read - lineStart + 1);
            }

            return new string(chars, 0, written);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    private enum PayloadKind
    {
        Sniff,
        Json,
        Xml,
        Text,
        Markdown,
        Html,
    }

    private static PayloadKind Classify(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return PayloadKind.Sniff;
        }

        var parts = contentType.Split(';');
        var mediaType = parts[0].Trim().ToLowerInvariant();
        foreach (var parameter in parts.Skip(1))
        {
            var equals = parameter.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0 || !parameter[..equals].Trim().Equals("charset", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var charset = parameter[(equals + 1)..].Trim().Trim('"');
            if (!charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) &&
                !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase) &&
                !charset.Equals("us-ascii", StringComparison.OrdinalIgnoreCase))
            {
                throw new NotificationFormatException($"The charset \"{charset}\" in Content-Type \"{contentType}\" is not supported; send UTF-8 (charset=utf-8).");
            }
        }

        return mediaType switch
        {
            "application/json" or "text/json" => PayloadKind.Json,
            _ when mediaType.EndsWith("+json", StringComparison.Ordinal) && mediaType.Contains('/', StringComparison.Ordinal) => PayloadKind.Json,
            "application/xml" or "text/xml" or "application/xmpp+xml" => PayloadKind.Xml,
            _ when mediaType.EndsWith("+xml", StringComparison.Ordinal) && mediaType.Contains('/', StringComparison.Ordinal) => PayloadKind.Xml,
            "text/plain" => PayloadKind.Text,
            "text/markdown" or "text/x-markdown" => PayloadKind.Markdown,
            "text/html" => PayloadKind.Html,
            _ => throw new NotificationFormatException(
                $"Content-Type \"{mediaType}\" is not supported; send one of {string.Join(", ", SupportedContentTypes)}."),
        };
    }

    private static PayloadKind Sniff(string text)
    {
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                continue;
            }

            return c switch
            {
                '{' or '[' => PayloadKind.Json,
                '<' => PayloadKind.Xml,
                _ => PayloadKind.Text,
            };
        }

        return PayloadKind.Text;
    }

    private static XmppMessage TextMessage(string text, string format)
    {
        var body = text.TrimEnd('\r', '\n');
        if (string.IsNullOrWhiteSpace(body))
        {
            throw new NotificationFormatException("The request body contains only whitespace; send the notification text.");
        }

        var message = new XmppMessage { Body = body, Format = format };
        XmppMessageJson.Validate(message, "The text body");
        return message;
    }
}
