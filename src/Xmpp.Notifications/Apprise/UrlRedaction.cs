using System.Text;

namespace Xmpp.Notifications.Apprise;

/// <summary>
/// Hides the credentials of a URL the parser rejected (a parsed URL redacts itself). A rejected URL may be malformed
/// in any way, so this errs on the side of hiding too much: everything up to the '@' that may end the user-info,
/// and the value of any <c>password=</c>/<c>pass=</c> parameter, of <c>+Header=</c> parameters (WebSocket upgrade
/// headers, often tokens or cookies) and of <c>wsurl=</c> (its query may hold a token).
/// </summary>
public static class UrlRedaction
{
    private const string Mask = "****";
    private static readonly char[] ParameterSeparators = ['&', ';'];

    public static string Redact(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var text = url.Trim();
        var schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
            return text.Contains('@', StringComparison.Ordinal) || text.Contains(':', StringComparison.Ordinal) ? "(not a URL)" : text;
        var scheme = text[..(schemeEnd + 3)];
        var rest = text[(schemeEnd + 3)..];

        // The user-info ends at the last '@' before the query, or at the first '@' when the password holds an unescaped '?'.
        var firstQuestion = rest.IndexOf('?', StringComparison.Ordinal);
        var lastAtBeforeQuery = (firstQuestion < 0 ? rest : rest[..firstQuestion]).LastIndexOf('@');
        var cut = Math.Max(lastAtBeforeQuery, rest.IndexOf('@', StringComparison.Ordinal));
        if (cut >= 0)
            rest = Mask + rest[cut..];
        else if (LooksLikeCredentials(rest))
            return scheme + Mask;

        var question = rest.IndexOf('?', StringComparison.Ordinal);
        if (question < 0)
            return scheme + rest;
        var redacted = new StringBuilder(scheme).Append(rest, 0, question + 1);
        var start = question + 1;
        while (start <= rest.Length)
        {
            // Apprise separates parameters with '&' and ';'.
            var end = rest.IndexOfAny(ParameterSeparators, start);
            if (end < 0)
                end = rest.Length;
            var pair = rest[start..end];
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]).Trim();
            if (eq >= 0 && (name.Equals("password", StringComparison.OrdinalIgnoreCase) || name.Equals("pass", StringComparison.OrdinalIgnoreCase)
                || name.StartsWith('+') || name.Equals("wsurl", StringComparison.OrdinalIgnoreCase)))
                redacted.Append(pair, 0, eq + 1).Append(Mask);
            else
                redacted.Append(pair);
            if (end < rest.Length)
                redacted.Append(rest[end]);
            start = end + 1;
        }
        return redacted.ToString();
    }

    /// <summary>With no '@' at all, a "user:password" cannot be told from "host:port" except by the port being a number.</summary>
    private static bool LooksLikeCredentials(string rest)
    {
        var colon = rest.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
            return false;
        var afterColon = rest.AsSpan(colon + 1);
        var endOfPort = afterColon.IndexOfAny('/', '?');
        var port = endOfPort < 0 ? afterColon : afterColon[..endOfPort];
        return port.Length == 0 || port.ContainsAnyExceptInRange('0', '9');
    }
}
