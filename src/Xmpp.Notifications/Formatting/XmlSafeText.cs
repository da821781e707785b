using System.Text;

namespace Xmpp.Notifications.Formatting;

/// <summary>
/// Makes notification text sendable: XML 1.0 cannot carry most C0 control characters, U+FFFE, U+FFFF or lone
/// surrogates, and such a character in a body would otherwise fail the send after earlier messages went out.
/// </summary>
/// <remarks>
/// Text piped from a terminal program often carries ANSI escape sequences (colours, cursor moves). Dropping only the
/// ESC would leave "[31m" in the chat, so whole sequences are removed: CSI (<c>ESC [ … final</c>), OSC
/// (<c>ESC ] … BEL</c> or <c>ESC \</c>, e.g. hyperlinks and window titles) and two-character escapes.
/// Other C0 characters except TAB, LF and CR are dropped; lone surrogates become U+FFFD; U+FFFE and U+FFFF are dropped.
/// </remarks>
public static class XmlSafeText
{
    private const char Escape = '\u001B';

    /// <summary>The text as XML can carry it; returns the same instance when nothing needed changing.</summary>
    public static string Clean(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var first = FirstUnsafe(text);
        if (first < 0)
            return text;
        var sb = new StringBuilder(text.Length);
        sb.Append(text, 0, first);
        for (var i = first; i < text.Length; i++)
        {
            var c = text[i];
            if (c == Escape)
            {
                i = EndOfEscapeSequence(text, i);
                continue;
            }
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                sb.Append(c).Append(text[++i]);
                continue;
            }
            if (char.IsSurrogate(c))
                sb.Append('\uFFFD');
            else if (c is '\t' or '\n' or '\r' || (c >= ' ' && c is not '\uFFFE' and not '\uFFFF'))
                sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>Null stays null.</summary>
    public static string? CleanOrNull(string? text) => text is null ? null : Clean(text);

    private static int FirstUnsafe(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c < ' ' && c is not '\t' and not '\n' and not '\r')
                return i;
            if (c is '\uFFFE' or '\uFFFF')
                return i;
            if (char.IsSurrogate(c))
            {
                if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    i++;
                    continue;
                }
                return i;
            }
        }
        return -1;
    }

    /// <summary>The index of the last character of the escape sequence that starts at <paramref name="start"/> (an ESC).</summary>
    private static int EndOfEscapeSequence(string text, int start)
    {
        if (start + 1 >= text.Length)
            return start;
        var kind = text[start + 1];
        if (kind == '[')
        {
            // CSI: parameter bytes 0x30-0x3F, intermediate bytes 0x20-0x2F, one final byte 0x40-0x7E (ECMA-48 §5.4).
            for (var i = start + 2; i < text.Length; i++)
            {
                var c = text[i];
                if (c is >= '@' and <= '~')
                    return i;
                if (c is < ' ' or > '?')
                    return i - 1; // malformed: drop what was consumed, keep the rest
            }
            return text.Length - 1;
        }
        if (kind is ']' or 'P' or '_' or '^' or 'X')
        {
            // OSC, DCS, APC, PM, SOS: a string ended by BEL or ST (ESC \); bounded by the text itself.
            for (var i = start + 2; i < text.Length; i++)
            {
                if (text[i] == '\u0007')
                    return i;
                if (text[i] == Escape && i + 1 < text.Length && text[i + 1] == '\\')
                    return i + 1;
            }
            return text.Length - 1;
        }
        // Two-character escapes (ESC followed by 0x20-0x7E, e.g. "ESC (B" character set selection keeps one more byte).
        if (kind is '(' or ')' or '*' or '+' && start + 2 < text.Length)
            return start + 2;
        return kind is >= ' ' and <= '~' ? start + 1 : start;
    }
}
