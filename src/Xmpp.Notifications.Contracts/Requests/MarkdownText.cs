using System.Text;

namespace Xmpp.Notifications.Contracts.Requests;

/// <summary>Puts untrusted text (label values, annotations, URLs) into generated markdown without it becoming markup.</summary>
internal static class MarkdownText
{
    // Characters that start inline markup anywhere; backslash-escaping ASCII punctuation is always valid CommonMark.
    private const string InlineSpecials = "\\`*_[]<>&|~";

    // Characters that start a block (heading, list, quote, rule) only at the start of a line.
    private const string LineStartSpecials = "#+-=>";

    public static string Escape(string text) => EscapeMultiline(string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)), string.Empty);

    /// <summary>Escapes <paramref name="text"/>; its line breaks become hard breaks with continuation lines indented by <paramref name="indent"/>.</summary>
    public static string EscapeMultiline(string text, string indent)
    {
        var builder = new StringBuilder(text.Length + 16);
        var lines = text.ReplaceLineEndings("\n").Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (i > 0)
            {
                builder.Append("\\\n").Append(indent);
            }

            for (var j = 0; j < line.Length; j++)
            {
                var c = line[j];
                if (InlineSpecials.Contains(c, StringComparison.Ordinal) || (j == 0 && LineStartSpecials.Contains(c, StringComparison.Ordinal)))
                {
                    builder.Append('\\');
                }
                else if (j > 0 && c is '.' or ')' && IsAllDigits(line.AsSpan(0, j)))
                {
                    // "1." or "1)" at the start of a line would begin an ordered list.
                    builder.Append('\\');
                }

                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private static bool IsAllDigits(ReadOnlySpan<char> span)
    {
        foreach (var c in span)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>An absolute http(s) URL made safe for a <c>[text](&lt;url&gt;)</c> destination, or null for anything else.</summary>
    public static string? SafeUrl(string? url)
    {
        if (string.IsNullOrWhiteSpace(url) ||
            !Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) ||
            (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            return null;
        }

        return uri.AbsoluteUri.Replace("<", "%3C", StringComparison.Ordinal).Replace(">", "%3E", StringComparison.Ordinal).Replace("\n", "%0A", StringComparison.Ordinal);
    }
}
