using System.Globalization;
using System.Text;

namespace Xmpp.Client;

/// <summary>
/// An XMPP address (RFC 7622): <c>[localpart@]domainpart[/resourcepart]</c>.
/// Parts are normalized on parsing (localpart case-folded, domain lower-cased and IDNA-encoded), so two
/// JIDs that address the same entity compare equal.
/// </summary>
public sealed class Jid : IEquatable<Jid>
{
    private const int MaxPartBytes = 1023;
    private static readonly IdnMapping Idn = new() { AllowUnassigned = false, UseStd3AsciiRules = false };

    private Jid(string? local, string domain, string? resource)
    {
        Local = local;
        Domain = domain;
        Resource = resource;
    }

    /// <summary>The localpart (the user or room name), or null for a domain JID.</summary>
    public string? Local { get; }

    /// <summary>The domainpart, lower-case, internationalized labels in their ASCII (A-label) form.</summary>
    public string Domain { get; }

    /// <summary>The resourcepart, or null for a bare JID.</summary>
    public string? Resource { get; }

    public bool IsBare => Resource is null;

    /// <summary>This JID without its resource.</summary>
    public Jid Bare => Resource is null ? this : new Jid(Local, Domain, null);

    public Jid WithResource(string resource)
    {
        var checkedResource = NormalizeResource(resource, resource);
        return new Jid(Local, Domain, checkedResource);
    }

    public static Jid Parse(string text) =>
        TryParseCore(text, out var jid, out var error) ? jid! : throw error!;

    public static bool TryParse(string? text, out Jid? jid) =>
        TryParseCore(text, out jid, out _);

    /// <summary>Builds a JID from separate parts, validating each as <see cref="Parse"/> would.</summary>
    public static Jid Create(string? local, string domain, string? resource = null)
    {
        var text = (local is null ? "" : local + "@") + domain + (resource is null ? "" : "/" + resource);
        if (local is not null && (local.Contains('@', StringComparison.Ordinal) || local.Contains('/', StringComparison.Ordinal)))
            throw new JidFormatException(text, JidPart.Local, "the localpart may not contain '@' or '/'");
        return Parse(text);
    }

    private static bool TryParseCore(string? text, out Jid? jid, out JidFormatException? error)
    {
        jid = null;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = new JidFormatException(text ?? "", JidPart.Domain, "the address is empty");
            return false;
        }

        // RFC 7622 §3.1: the first '/' starts the resource; the '@' before it ends the localpart.
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var head = slash < 0 ? text : text[..slash];
        var resourceText = slash < 0 ? null : text[(slash + 1)..];
        var at = head.IndexOf('@', StringComparison.Ordinal);
        var localText = at < 0 ? null : head[..at];
        var domainText = at < 0 ? head : head[(at + 1)..];

        try
        {
            RejectUnsafeCharacters(localText, JidPart.Local, text);
            RejectUnsafeCharacters(domainText, JidPart.Domain, text);
            RejectUnsafeCharacters(resourceText, JidPart.Resource, text);
            var local = localText is null ? null : NormalizeLocal(localText, text);
            var domain = NormalizeDomain(domainText, text);
            var resource = resourceText is null ? null : NormalizeResource(resourceText, text);
            jid = new Jid(local, domain, resource);
            return true;
        }
        catch (JidFormatException e)
        {
            error = e;
            return false;
        }
    }

    /// <summary>
    /// PRECIS (RFC 8264 §9.11, §9.12) disallows control characters and noncharacters in every part; XML cannot carry
    /// some of them at all (U+0000-U+001F, U+FFFE, U+FFFF, lone surrogates), so they must fail here, typed, not at send.
    /// </summary>
    private static void RejectUnsafeCharacters(string? part, JidPart which, string whole)
    {
        if (part is null)
            return;
        for (var i = 0; i < part.Length; i++)
        {
            var c = part[i];
            if (char.IsHighSurrogate(c) && i + 1 < part.Length && char.IsLowSurrogate(part[i + 1]))
            {
                var scalar = char.ConvertToUtf32(c, part[i + 1]);
                if ((scalar & 0xFFFE) == 0xFFFE)
                    throw new JidFormatException(whole, which, $"the {Name(which)} contains the noncharacter U+{scalar:X4}");
                i++;
                continue;
            }
            if (char.IsSurrogate(c))
                throw new JidFormatException(whole, which, $"the {Name(which)} contains a lone surrogate U+{(int)c:X4} (invalid Unicode)");
            if (char.IsControl(c))
                throw new JidFormatException(whole, which, $"the {Name(which)} contains the control character U+{(int)c:X4}");
            if (c is >= '\uFDD0' and <= '\uFDEF' or '\uFFFE' or '\uFFFF')
                throw new JidFormatException(whole, which, $"the {Name(which)} contains the noncharacter U+{(int)c:X4}");
        }

        static string Name(JidPart part) => part switch
        {
            JidPart.Local => "localpart",
            JidPart.Domain => "domainpart",
            _ => "resourcepart",
        };
    }

    private static string NormalizeLocal(string local, string whole)
    {
        if (local.Length == 0)
            throw new JidFormatException(whole, JidPart.Local, "the localpart before '@' is empty");
        // UsernameCaseMapped profile (RFC 8265 §3.3), approximated: NFC, case-folded, no spaces or the excluded characters.
        var normalized = local.Normalize(NormalizationForm.FormC).ToLowerInvariant();
        foreach (var c in normalized)
        {
            if (c is '"' or '&' or '\'' or '/' or ':' or '<' or '>' or '@')
                throw new JidFormatException(whole, JidPart.Local, $"the localpart may not contain '{c}'");
            if (char.IsWhiteSpace(c) || char.IsControl(c))
                throw new JidFormatException(whole, JidPart.Local, "the localpart may not contain spaces or control characters");
        }
        if (Encoding.UTF8.GetByteCount(normalized) > MaxPartBytes)
            throw new JidFormatException(whole, JidPart.Local, "the localpart is longer than 1023 bytes");
        return normalized;
    }

    private static string NormalizeDomain(string domain, string whole)
    {
        if (domain.Length == 0)
            throw new JidFormatException(whole, JidPart.Domain, "the domainpart is empty");
        if (domain.EndsWith('.'))
            domain = domain[..^1]; // RFC 7622 §3.2: a trailing dot is stripped
        if (domain.StartsWith('[') && domain.EndsWith(']'))
        {
            if (!System.Net.IPAddress.TryParse(domain[1..^1], out var v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
                throw new JidFormatException(whole, JidPart.Domain, "the bracketed domainpart is not an IPv6 address");
            return "[" + v6 + "]";
        }
        string ascii;
        try
        {
            ascii = Idn.GetAscii(domain.Normalize(NormalizationForm.FormC)).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            throw new JidFormatException(whole, JidPart.Domain, $"'{domain}' is not a valid domain name");
        }
        foreach (var label in ascii.Split('.'))
        {
            if (label.Length == 0)
                throw new JidFormatException(whole, JidPart.Domain, "the domainpart has an empty label ('..')");
            if (label.Length > 63)
                throw new JidFormatException(whole, JidPart.Domain, "a domain label is longer than 63 characters");
            foreach (var c in label)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_'))
                    throw new JidFormatException(whole, JidPart.Domain, $"the domainpart may not contain '{c}'");
            }
        }
        if (ascii.Length > 253)
            throw new JidFormatException(whole, JidPart.Domain, "the domainpart is longer than 253 characters");
        return ascii;
    }

    private static string NormalizeResource(string resource, string whole)
    {
        if (resource.Length == 0)
            throw new JidFormatException(whole, JidPart.Resource, "the resourcepart after '/' is empty");
        // OpaqueString profile (RFC 8265 §4.2): NFC, no control characters; case is kept.
        var normalized = resource.Normalize(NormalizationForm.FormC);
        foreach (var c in normalized)
        {
            if (char.IsControl(c))
                throw new JidFormatException(whole, JidPart.Resource, "the resourcepart may not contain control characters");
        }
        if (Encoding.UTF8.GetByteCount(normalized) > MaxPartBytes)
            throw new JidFormatException(whole, JidPart.Resource, "the resourcepart is longer than 1023 bytes");
        return normalized;
    }

    public override string ToString() =>
        (Local is null ? "" : Local + "@") + Domain + (Resource is null ? "" : "/" + Resource);

    public bool Equals(Jid? other) =>
        other is not null
        && string.Equals(Local, other.Local, StringComparison.Ordinal)
        && string.Equals(Domain, other.Domain, StringComparison.Ordinal)
        && string.Equals(Resource, other.Resource, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as Jid);

    public override int GetHashCode() => HashCode.Combine(Local, Domain, Resource);

    public static bool operator ==(Jid? left, Jid? right) => left is null ? right is null : left.Equals(right);

    public static bool operator !=(Jid? left, Jid? right) => !(left == right);
}

/// <summary>Which part of a JID a <see cref="JidFormatException"/> is about.</summary>
public enum JidPart
{
    Local,
    Domain,
    Resource,
}

/// <summary>A JID that is not valid under RFC 7622; <see cref="Part"/> names the part that is wrong.</summary>
public sealed class JidFormatException : FormatException
{
    public JidFormatException(string jid, JidPart part, string reason)
        : base($"Invalid JID '{Printable(jid)}': {reason}.")
    {
        Jid = jid;
        Part = part;
        Reason = reason;
    }

    public string Jid { get; }

    public JidPart Part { get; }

    /// <summary>The text with characters a terminal or an XML log cannot show safely written as <c>\uXXXX</c>.</summary>
    private static string Printable(string text)
    {
        var sb = new StringBuilder(text.Length + 8);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                sb.Append(c).Append(text[++i]);
            else if (char.IsControl(c) || char.IsSurrogate(c) || c is '\uFFFE' or '\uFFFF')
                sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            else
                sb.Append(c);
        }
        return sb.ToString();
    }

    public string Reason { get; }
}
