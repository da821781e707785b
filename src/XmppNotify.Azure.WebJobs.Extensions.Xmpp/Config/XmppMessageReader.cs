using System.Text.Json;
using System.Text;
using Newtonsoft.Json.Linq;
using Xmpp.Notifications.Contracts;
using XmppNotify.Azure.WebJobs.Extensions.Xmpp.Bindings;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp.Config;

/// <summary>
/// Reads the raw shapes the Functions host hands over (<c>byte[]</c>, <c>string</c>, <c>JObject</c>, <c>JArray</c>) into
/// messages with <see cref="XmppMessageJson"/>: a JSON object is one message, a JSON array several, names in any case.
/// Text that is not JSON at all, including text that merely starts like JSON, is the body of one message: a notification
/// is better delivered verbatim than lost. Well-formed JSON that breaks the message contract fails with
/// <see cref="global::Xmpp.Notifications.Contracts.Requests.NotificationFormatException"/>, because sending a JSON document as chat text would hide the mistake.
/// </summary>
internal static class XmppMessageReader
{
    public static XmppMessageBatch FromBytes(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ReadOnlySpan<byte> span = bytes;
        if (span.StartsWith(Encoding.UTF8.Preamble))
        {
            span = span[Encoding.UTF8.Preamble.Length..];
        }

        return LooksLikeJson(span) && IsWellFormedJson(span)
            ? new XmppMessageBatch(XmppMessageJson.Parse(span))
            : PlainText(Encoding.UTF8.GetString(span));
    }

    public static XmppMessageBatch FromString(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            text = text[1..];
        }

        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        return LooksLikeJson(utf8) && IsWellFormedJson(utf8) ? new XmppMessageBatch(XmppMessageJson.Parse(utf8)) : PlainText(text);
    }

    public static XmppMessageBatch FromJObject(JObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return new XmppMessageBatch(XmppMessageJson.Parse(obj.ToString(Newtonsoft.Json.Formatting.None)));
    }

    public static XmppMessageBatch FromJArray(JArray array)
    {
        ArgumentNullException.ThrowIfNull(array);
        return new XmppMessageBatch(XmppMessageJson.Parse(array.ToString(Newtonsoft.Json.Formatting.None)));
    }

    private static XmppMessageBatch PlainText(string text) => new([new XmppMessage { Body = text }]);

    private static bool LooksLikeJson(ReadOnlySpan<byte> utf8)
    {
        var trimmed = utf8.TrimStart(" \t\r\n"u8);
        return trimmed.Length > 0 && (trimmed[0] == (byte)'{' || trimmed[0] == (byte)'[');
    }

    private static bool IsWellFormedJson(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = XmppMessageJson.MaxJsonDepth * 4 });
        try
        {
            while (reader.Read())
            {
            }

            return true;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }
}
