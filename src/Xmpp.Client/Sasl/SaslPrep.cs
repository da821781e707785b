using System.Text;

namespace Xmpp.Client.Sasl;

/// <summary>
/// An approximation of SASLprep (RFC 4013): the RFC 3454 "mapped to nothing" characters are dropped,
/// non-ASCII spaces become U+0020, then NFKC. Not done: the prohibited-output, bidi and unassigned
/// code point checks. Those only reject strings; for any string a real SASLprep accepts, this gives
/// the same result, which is what matters for matching the server's stored keys.
/// In a globalization-invariant process .NET has no normalization data and <see cref="string.Normalize(NormalizationForm)"/>
/// returns non-ASCII text unchanged, so there only the mapping steps apply; ASCII passwords are unaffected either way.
/// </summary>
internal static class SaslPrep
{
    public static string Prepare(string value)
    {
        if (IsPlainAscii(value))
        {
            return value;
        }

        var mapped = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            if (IsMappedToNothing(c))
            {
                continue;
            }

            mapped.Append(IsNonAsciiSpace(c) ? ' ' : c);
        }

        var text = mapped.ToString();
        try
        {
            return text.Normalize(NormalizationForm.FormKC);
        }
        catch (ArgumentException)
        {
            // Ill-formed UTF-16 (a lone surrogate) cannot be normalized; send it as mapped and let the server decide.
            return text;
        }
        catch (PlatformNotSupportedException)
        {
            // Globalization-invariant hosts without normalization data: the mapped text is the best available.
            return text;
        }
    }

    private static bool IsPlainAscii(string value)
    {
        foreach (var c in value)
        {
            if (c >= 0x80)
            {
                return false;
            }
        }

        return true;
    }

    // RFC 3454 table B.1.
    private static bool IsMappedToNothing(char c) => c switch
    {
        '\u00AD' or '\u034F' or '\u1806' or '\u180B' or '\u180C' or '\u180D' => true,
        '\u200B' or '\u200C' or '\u200D' or '\u2060' or '\uFEFF' => true,
        >= '\uFE00' and <= '\uFE0F' => true,
        _ => false,
    };

    // RFC 3454 table C.1.2.
    private static bool IsNonAsciiSpace(char c) => c switch
    {
        '\u00A0' or '\u1680' or '\u202F' or '\u205F' or '\u3000' => true,
        >= '\u2000' and <= '\u200B' => true,
        _ => false,
    };
}
