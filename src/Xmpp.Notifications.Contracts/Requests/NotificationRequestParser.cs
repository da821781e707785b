using System.Buffers;
using System.Text;
using System.Text.Unicode;
using Xmpp.Notifications.Contracts.Json;

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
/// <item><c>application/x-www-form-urlencoded</c> (what <c>curl --data-binary</c> sends without <c>-H Content-Type</c>) and
///   <c>application/octet-stream</c>: a body starting with <c>&lt;</c>, <c>{</c> or <c>[</c> is sniffed as above. Any other
///   form body is read as mod_post_msg's form fields (<c>to</c>, <c>type</c>, <c>body</c>, plus <c>title</c>/<c>subject</c> and
///   <c>format</c>); any other octet-stream body is refused.</item>
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
        else if (kind is PayloadKind.Form or PayloadKind.Binary)
        {
            // Clients that never set a content type (curl -d) still post a stanza or JSON; recognise them by their first character.
            var sniffed = Sniff(text);
            if (sniffed is PayloadKind.Json or PayloadKind.Xml)
            {
                kind = sniffed;
            }
            else if (kind == PayloadKind.Binary)
            {
                throw new NotificationFormatException(
                    $"Content-Type \"application/octet-stream\" is accepted only for a <message> stanza or JSON; this body starts with neither. Send text/plain for text, or one of {string.Join(", ", SupportedContentTypes)}.");
            }
        }

        if (kind == PayloadKind.Form)
        {
            return [FormMessage(text)];
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
        Form,
        Binary,
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
            "application/x-www-form-urlencoded" => PayloadKind.Form,
            "application/octet-stream" => PayloadKind.Binary,
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

    /// <summary>mod_post_msg's form fields; unknown fields are refused so that a misspelt one is not silently dropped.</summary>
    private static XmppMessage FormMessage(string text)
    {
        var message = new XmppMessage();
        foreach (var (name, value) in FormUrlEncoded.Parse(text))
        {
            switch (name)
            {
                case "body":
                    message.Body = value;
                    break;
                case "to":
                    message.To = value;
                    break;
                case "title" or "subject":
                    message.Title = value;
                    break;
                case "type":
                    message.Type = value;
                    break;
                case "format":
                    message.Format = value;
                    break;
                default:
                    throw new NotificationFormatException(
                        $"The form field \"{JsonItem.Abbreviate(name)}\" is not known; form bodies take to, type, body, title (or subject) and format. To post a stanza or JSON, start the body with < or {{.");
            }
        }

        if (string.IsNullOrWhiteSpace(message.Body) && string.IsNullOrWhiteSpace(message.Title))
        {
            throw new NotificationFormatException("The form has no body field (and no title); send body=<text>, or post a <message> stanza or JSON.");
        }

        XmppMessageJson.Validate(message, "The form");
        return message;
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
