using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Xmpp.Binding.Bindings;

namespace Xmpp.Binding.Config;

/// <summary>
/// Reads the raw shapes the Functions host hands over (<c>byte[]</c>, <c>string</c>, <c>JObject</c>) into messages.
/// A JSON object is one message, a JSON array is several (objects, or strings used as bodies); property names match in
/// any case, because the isolated worker writes PascalCase. Any other text, including text that merely looks like JSON
/// but does not parse, is the body of one message: a notification is better delivered verbatim than lost.
/// </summary>
internal static class XmppMessageReader
{
    public static XmppMessageBatch FromBytes(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var span = bytes.AsSpan();
        if (span.StartsWith(Encoding.UTF8.Preamble))
        {
            span = span[Encoding.UTF8.Preamble.Length..];
        }

        return FromString(Encoding.UTF8.GetString(span));
    }

    public static XmppMessageBatch FromString(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.AsSpan().Trim();
        if (trimmed.Length > 0 && (trimmed[0] == '{' || trimmed[0] == '['))
        {
            JToken? token = null;
            try
            {
                token = JToken.Parse(text);
            }
            catch (JsonReaderException)
            {
                // Not JSON after all: plain text, below.
            }

            switch (token)
            {
                case JObject obj:
                    return FromJObject(obj);
                case JArray array:
                    return FromJArray(array);
            }
        }

        return new XmppMessageBatch([new XmppMessage { Body = text }]);
    }

    public static XmppMessageBatch FromJObject(JObject obj) => new([ToMessage(obj)]);

    public static XmppMessageBatch FromJArray(JArray array)
    {
        ArgumentNullException.ThrowIfNull(array);
        var messages = new List<XmppMessage>(array.Count);
        foreach (var item in array)
        {
            messages.Add(item switch
            {
                JObject obj => ToMessage(obj),
                JValue { Type: JTokenType.String } s => new XmppMessage { Body = (string?)s },
                _ => throw new InvalidOperationException(
                    $"Item {messages.Count + 1} of the JSON array is {item.Type}; an XMPP message is a JSON object or a string (the body)."),
            });
        }

        return new XmppMessageBatch(messages);
    }

    public static XmppMessage ToMessage(JObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return new XmppMessage
        {
            To = Read(obj, nameof(XmppMessage.To)),
            Title = Read(obj, nameof(XmppMessage.Title)),
            Body = Read(obj, nameof(XmppMessage.Body)),
            Format = Read(obj, nameof(XmppMessage.Format)),
            Type = Read(obj, nameof(XmppMessage.Type)),
        };
    }

    private static string? Read(JObject obj, string name) => obj.GetValue(name, StringComparison.OrdinalIgnoreCase) switch
    {
        null or { Type: JTokenType.Null or JTokenType.Undefined } => null,
        JValue { Type: JTokenType.String } s => (string?)s,
        // "to": ["alice", "bob"] is natural in JSON; the string grammar separates with commas.
        JArray a when name == nameof(XmppMessage.To) => string.Join(",", a.Select(t => t.ToString())),
        JValue v => Convert.ToString(v.Value, System.Globalization.CultureInfo.InvariantCulture),
        var other => other.ToString(Formatting.None),
    };
}
