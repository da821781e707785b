namespace Xmpp.Notifications.Contracts.Requests;

/// <summary>
/// <c>application/x-www-form-urlencoded</c> bodies (HTML forms, <c>curl -d</c>, mod_post_msg and Apprise API clients):
/// <c>name=value</c> pairs joined by <c>&amp;</c>, <c>+</c> for space, percent-escapes decoded as UTF-8. Field names are
/// compared lower-case; a field given twice is refused rather than one of its values silently winning.
/// </summary>
public static class FormUrlEncoded
{
    /// <summary>More fields than any of our forms has: a bound on what a hostile body can make us allocate.</summary>
    public const int MaxFields = 32;

    public static IReadOnlyList<KeyValuePair<string, string>> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var fields = new List<KeyValuePair<string, string>>();
        foreach (var pair in text.Trim().Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Decode(equals < 0 ? pair : pair[..equals]).Trim().ToLowerInvariant();
            var value = equals < 0 ? string.Empty : Decode(pair[(equals + 1)..]);
            if (name.Length == 0)
            {
                throw new NotificationFormatException("The form has a field without a name (\"=value\"); send name=value pairs joined by &.");
            }

            if (fields.Any(f => f.Key == name))
            {
                throw new NotificationFormatException($"The form field \"{Json.JsonItem.Abbreviate(name)}\" is given twice; send it once.");
            }

            if (fields.Count == MaxFields)
            {
                throw new NotificationFormatException($"The form has more than {MaxFields} fields.");
            }

            fields.Add(new(name, value));
        }

        return fields;
    }

    private static string Decode(string value)
    {
        try
        {
            return Uri.UnescapeDataString(value.Replace('+', ' '));
        }
        catch (UriFormatException)
        {
            throw new NotificationFormatException("The form body has a malformed percent-escape; encode it as application/x-www-form-urlencoded.");
        }
    }
}
