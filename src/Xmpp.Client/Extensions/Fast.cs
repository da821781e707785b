using System.Collections.Concurrent;
using System.Globalization;
using System.Xml.Linq;
using Xmpp.Client.Sasl;

namespace Xmpp.Client;

/// <summary>
/// A FAST token (XEP-0484): a secret the server issued at a login, good for later logins of the same account
/// with the mechanism named here until <see cref="Expiry"/>. <see cref="ToString"/> never shows it.
/// </summary>
public sealed record FastToken(string Mechanism, string Token, DateTimeOffset Expiry)
{
    public override string ToString() => $"FastToken {{ Mechanism = {Mechanism}, Expiry = {Expiry:O}, Token = [redacted] }}";
}

/// <summary>
/// Where FAST tokens are kept between sessions, one per account (bare JID). Setting
/// <see cref="XmppClientOptions.FastTokens"/> turns FAST on: a SCRAM login asks for a token, later logins use it.
/// Tokens are secrets: keep them in memory, or in a file only its owner can read.
/// </summary>
public interface IFastTokenStore
{
    /// <summary>The XEP-0388 user-agent id this store's tokens are bound to (the server keys tokens by it); stable for the store's life.</summary>
    string ClientId { get; }

    FastToken? Find(Jid account);

    void Save(Jid account, FastToken token);

    void Remove(Jid account);
}

/// <summary>Tokens in this process's memory only (the host's choice: nothing written anywhere).</summary>
public sealed class InMemoryFastTokenStore : IFastTokenStore
{
    private const int Capacity = 1024;
    private readonly ConcurrentDictionary<string, FastToken> _tokens = new(StringComparer.Ordinal);

    /// <summary>One store for the whole process.</summary>
    public static InMemoryFastTokenStore Process { get; } = new();

    public string ClientId { get; } = Guid.NewGuid().ToString();

    public FastToken? Find(Jid account)
    {
        ArgumentNullException.ThrowIfNull(account);
        return _tokens.TryGetValue(account.Bare.ToString(), out var token) ? token : null;
    }

    public void Save(Jid account, FastToken token)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(token);
        // Bounded: a full table is emptied (each account then logs in once more with SCRAM) rather than grown.
        if (_tokens.Count >= Capacity)
            _tokens.Clear();
        _tokens[account.Bare.ToString()] = token;
    }

    public void Remove(Jid account)
    {
        ArgumentNullException.ThrowIfNull(account);
        _tokens.TryRemove(account.Bare.ToString(), out _);
    }
}

/// <summary>XEP-0484 FAST inside a SASL2 login: which hashed-token mechanism fits this channel, the token request, the token use.</summary>
public sealed partial class XmppClient
{
    /// <summary>
    /// The HT-SHA-256 variant to use with this server on this channel: bound to the channel when a binding is chosen
    /// by the same rules as SCRAM -PLUS and the server offers that variant, else -NONE when offered, else null.
    /// </summary>
    private string? ChooseFastMechanism(Sasl2Offer offer, XElement features)
    {
        if (offer.FastMechanisms.Count == 0)
            return null;
        var binding = _options.AllowChannelBinding ? ChannelBindingFor(features) : null;
        if (binding is not null && SaslMechanismHashedToken.NameFor(binding) is { } bound && offer.FastMechanisms.Contains(bound))
            return bound;
        // A server that offers a bound variant we could use but not the one for our binding: -NONE is still no weaker
        // than SCRAM without -PLUS, the fallback SCRAM itself would take here.
        return offer.FastMechanisms.Contains("HT-SHA-256-NONE") ? "HT-SHA-256-NONE" : null;
    }

    /// <summary>The stored token as a mechanism, when it is valid for this account, this channel and this server's offer.</summary>
    private SaslMechanismHashedToken? FastMechanism(string? fastChoice, XElement features)
    {
        if (_options.FastTokens is not { } store || fastChoice is null || store.Find(_options.Jid) is not { } token)
            return null;
        if (token.Mechanism != fastChoice || token.Expiry <= DateTimeOffset.UtcNow)
            return null;
        var binding = fastChoice == "HT-SHA-256-NONE" ? null : ChannelBindingFor(features);
        return new SaslMechanismHashedToken(fastChoice, _options.Jid.Local!, token.Token, binding);
    }

    /// <summary>A token in the success: kept for later logins (a FAST login may also hand out a rotated one).</summary>
    private void OnFastToken(XElement success)
    {
        ReleaseTokenRequest();
        if (_options.FastTokens is not { } store || success.Element(XName.Get("token", Namespaces.Fast)) is not { } element)
            return;
        var token = (string?)element.Attribute("token");
        var expiryText = (string?)element.Attribute("expiry");
        if (string.IsNullOrEmpty(token) || _fastRequested is null && Mechanism?.StartsWith("HT-", StringComparison.Ordinal) != true)
            return;
        if (!DateTimeOffset.TryParse(expiryText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var expiry))
            expiry = DateTimeOffset.UtcNow.AddDays(1);
        store.Save(_options.Jid, new FastToken(_fastRequested ?? Mechanism!, token, expiry));
    }

    /// <summary>
    /// A refused token is forgotten, so that the next login authenticates with SCRAM (and asks for a new one); a newer
    /// token another session stored meanwhile is kept.
    /// </summary>
    private void OnFastTokenRefused(SaslMechanismHashedToken refused)
    {
        if (_options.FastTokens is { } store && store.Find(_options.Jid) is { } current && refused.IsFor(current.Token))
            store.Remove(_options.Jid);
    }

    // Sessions (per store and account) that asked for a token and are waiting for it. The server keeps one token per
    // user-agent id and a new one replaces the last, so concurrent logins that each asked would leave this store
    // holding a token the server has already replaced, and every later FAST login would be refused. One request at
    // a time; a claim older than twice the response timeout is considered lost.
    private static readonly ConcurrentDictionary<(IFastTokenStore Store, string Account), long> TokenRequests = new();

    private bool ClaimTokenRequest()
    {
        var key = (_options.FastTokens!, _options.Jid.Bare.ToString());
        var now = Environment.TickCount64;
        var stale = (long)(2 * _options.ResponseTimeout.TotalMilliseconds);
        if (TokenRequests.Count >= 1024)
            TokenRequests.Clear();
        var claimed = TokenRequests.TryAdd(key, now)
            || (TokenRequests.TryGetValue(key, out var since) && now - since > stale && TokenRequests.TryUpdate(key, now, since));
        _tokenClaim = claimed ? 1 : 0;
        return claimed;
    }

    // 1 while this session holds the claim; the read loop and the closing caller may both release it.
    private int _tokenClaim;

    /// <summary>Once per session: at the success that answered the request, or when the session ends without one.</summary>
    private void ReleaseTokenRequest()
    {
        if (Interlocked.Exchange(ref _tokenClaim, 0) == 1 && _options.FastTokens is { } store)
            TokenRequests.TryRemove((store, _options.Jid.Bare.ToString()), out _);
    }
}
