namespace Xmpp.Notifications.Contracts.Requests;

/// <summary>
/// The body of an <c>http_message</c>/<c>mod_post_msg</c> request (<c>POST /api/message</c>): a <c>&lt;message&gt;</c>
/// stanza, JSON, mod_post_msg form fields, or plain text with the recipients in <c>?to=</c>. The function sends them
/// itself over the caller's own account (<see cref="HttpMessageAccount.ToAppriseUrl(IReadOnlyDictionary{string, ValueTuple{string, int}})"/>),
/// for that request only: the account's URL never leaves the worker.
/// </summary>
public static class HttpMessageRequest
{
    /// <summary>
    /// The app setting listing the domains this endpoint may log in to, separated by commas or spaces; absent = endpoint
    /// off. An entry is <c>domain</c> (connect to the domain, port 5222) or <c>domain=host:port</c> (connect there instead,
    /// e.g. <c>example.org=xmpp.example.org:5222</c>). Every login uses STARTTLS with the certificate checked.
    /// </summary>
    public const string DomainsSetting = "XmppHttpMessageDomains";

    /// <summary>The allowed login domains of a <see cref="DomainsSetting"/> value (lower case) and where to connect for each; empty when unset.</summary>
    public static IReadOnlyDictionary<string, (string Host, int Port)> Domains(string? setting)
    {
        var domains = new Dictionary<string, (string Host, int Port)>(StringComparer.Ordinal);
        foreach (var entry in (setting ?? "").Split([',', ';', ' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = entry.IndexOf('=', StringComparison.Ordinal);
            var domain = (equals < 0 ? entry : entry[..equals]).ToLowerInvariant();
            var target = equals < 0 ? domain : entry[(equals + 1)..];
            var colon = target.LastIndexOf(':');
            var port = 5222;
            if (colon > 0 && int.TryParse(target[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var p) && p is > 0 and < 65536)
            {
                port = p;
                target = target[..colon];
            }

            if (domain.Length > 0 && target.Length > 0)
            {
                domains[domain] = (target.ToLowerInvariant(), port);
            }
        }

        return domains;
    }

    /// <summary>
    /// Parses the body, refuses a stanza whose <c>from</c> is not the account (403, <see cref="HttpMessageRefusedException"/>),
    /// and applies <paramref name="to"/> (the query's recipients) to messages without their own. A message with no
    /// recipient at all is a 400 (<see cref="NotificationFormatException"/>).
    /// </summary>
    public static IReadOnlyList<XmppMessage> Parse(HttpMessageAccount account, string? contentType, ReadOnlyMemory<byte> body, string? to)
    {
        ArgumentNullException.ThrowIfNull(account);
        var messages = NotificationRequestParser.Parse(contentType, body);
        var text = NotificationRequestParser.DecodeUtf8(XmppMessageJson.SkipBom(body.Span)).TrimStart();
        if (text.StartsWith('<'))
        {
            // Already read once by the parser, so it is well-formed and bounded.
            account.CheckSender(SafeXml.Load(text).Attribute("from")?.Value);
        }

        foreach (var message in messages)
        {
            if (string.IsNullOrWhiteSpace(message.To))
            {
                message.To = string.IsNullOrWhiteSpace(to)
                    ? throw new NotificationFormatException("The message names no recipient: give the stanza a 'to', or add ?to=user@domain to the URL.")
                    : to.Trim();
            }
        }

        return messages;
    }
}
