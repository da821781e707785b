using System.Text;

namespace Xmpp.Notifications.Contracts.Requests;

/// <summary>A request to the http_message-style endpoint that must be refused, with the HTTP status to answer.</summary>
public sealed class HttpMessageRefusedException(int status, string message) : Exception(message)
{
    /// <summary>401 (no or malformed credentials), 403 (domain not allowed, forged sender) or 503 (endpoint off).</summary>
    public int Status { get; } = status;
}

/// <summary>
/// The sender's own XMPP account, from the HTTP Basic credentials of an <c>http_message</c>/<c>mod_post_msg</c> client
/// (<c>curl -u user@domain:password</c>). The endpoint logs in as this account for one request only, so the domains it
/// may log in to are an explicit list (no open relay, no connections to hosts the operator did not name); the password
/// is kept only to build the one-off Apprise URL that the function sends with, and never appears in <see cref="ToString"/>.
/// </summary>
public sealed class HttpMessageAccount
{
    private readonly string _password;

    private HttpMessageAccount(string localpart, string domain, string password)
    {
        Localpart = localpart;
        Domain = domain;
        _password = password;
    }

    public string Localpart { get; }

    public string Domain { get; }

    public string BareJid => $"{Localpart}@{Domain}";

    /// <summary>Reads <c>Authorization: Basic base64(user@domain:password)</c>; <paramref name="allowedDomains"/> empty means the endpoint is off.</summary>
    public static HttpMessageAccount FromBasicAuthorization(string? authorization, IReadOnlyCollection<string> allowedDomains)
    {
        ArgumentNullException.ThrowIfNull(allowedDomains);
        if (allowedDomains.Count == 0)
        {
            throw new HttpMessageRefusedException(503, "This endpoint is off: no login domains are configured.");
        }

        const string Scheme = "Basic ";
        if (string.IsNullOrWhiteSpace(authorization) || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            throw new HttpMessageRefusedException(401, "Send the XMPP account's credentials with HTTP Basic authentication (curl -u user@domain:password).");
        }

        string decoded;
        try
        {
            decoded = new UTF8Encoding(false, true).GetString(Convert.FromBase64String(authorization[Scheme.Length..].Trim()));
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new HttpMessageRefusedException(401, "The Basic credentials are not valid base64 of UTF-8 'user@domain:password'.");
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        var user = colon < 0 ? decoded : decoded[..colon];
        var password = colon < 0 ? "" : decoded[(colon + 1)..];
        var at = user.LastIndexOf('@');
        if (at <= 0 || at == user.Length - 1 || password.Length == 0 || user.IndexOfAny(['/', ' ', '\t']) >= 0 || user.Any(char.IsControl))
        {
            throw new HttpMessageRefusedException(401, "The Basic credentials must be 'user@domain:password' with the account's bare JID as the user name.");
        }

        var domain = user[(at + 1)..].ToLowerInvariant();
        if (!allowedDomains.Contains(domain, StringComparer.OrdinalIgnoreCase))
        {
            throw NotAllowed(domain);
        }

        return new HttpMessageAccount(user[..at], domain, password);
    }

    /// <summary>
    /// Refuses a stanza whose <c>from</c> is another JID than this account's (a full JID of the account is fine): forging a
    /// sender needs server privileges that a client login does not have.
    /// </summary>
    public void CheckSender(string? from)
    {
        if (string.IsNullOrWhiteSpace(from))
        {
            return;
        }

        var bare = from.Trim();
        var slash = bare.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            bare = bare[..slash];
        }

        if (!bare.Equals(BareJid, StringComparison.OrdinalIgnoreCase))
        {
            throw new HttpMessageRefusedException(403, $"The stanza's from ('{Json.JsonItem.Abbreviate(from.Trim())}') is not {BareJid}: this endpoint sends as the logged-in account only.");
        }
    }

    /// <summary>
    /// The one-off Apprise URL (STARTTLS, certificate checked) for this request's connection, to the host and port that
    /// the operator's <paramref name="domains"/> (<see cref="HttpMessageRequest.Domains"/>) name for the account's domain:
    /// never anywhere else. It holds the password: never log it, never let it leave the process.
    /// </summary>
    public string ToAppriseUrl(IReadOnlyDictionary<string, (string Host, int Port)> domains)
    {
        ArgumentNullException.ThrowIfNull(domains);
        var (host, port) = domains.TryGetValue(Domain, out var target)
            ? target
            : throw NotAllowed(Domain);
        return $"xmpps://{Uri.EscapeDataString(Localpart)}:{Uri.EscapeDataString(_password)}@{Domain}:{port}/?xmpp={Uri.EscapeDataString(host)}";
    }

    public override string ToString() => BareJid;

    private static HttpMessageRefusedException NotAllowed(string domain) =>
        new(403, $"Logging in to '{domain}' is not allowed here; the allowed domains are set by the operator.");
}
