using System.Collections.Concurrent;
using Azure;
using Azure.Core;
using Azure.Identity;
using Azure.Security.KeyVault.Secrets;
using Xmpp.Notifications.Apprise;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp.KeyVault;

/// <summary>
/// Turns the value of a connection setting into Apprise URLs. The value holds, separated by line breaks or whitespace,
/// Apprise URLs (<c>xmpp://</c>, <c>xmpps://</c>) and Key Vault secret URIs
/// (<c>https://&lt;vault&gt;.vault.azure.net/secrets/&lt;name&gt;[/&lt;version&gt;]</c>, any cloud's vault host); a secret holds
/// one or more Apprise URLs in the same format. Secrets are read with <see cref="SecretClient"/> and cached for a TTL;
/// <see cref="Invalidate"/> drops one so a rotated password is picked up. Errors name settings and secret URIs, never values.
/// </summary>
public sealed partial class XmppConnectionResolver
{
    private readonly Lazy<TokenCredential> _credential;
    private readonly SecretClientOptions? _clientOptions;
    private readonly TimeSpan _cacheTtl;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<Uri, SecretClient> _clients = new();
    private readonly ConcurrentDictionary<string, CacheEntry> _cache = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, LastGood> _lastGood = new(StringComparer.OrdinalIgnoreCase);
    private readonly TimeSpan _gracePeriod;
    private readonly IReadOnlyList<string> _vaultHostSuffixes;
    private readonly ILogger _logger;

    /// <summary>
    /// The DNS suffixes of Key Vault and Managed HSM in the public and sovereign clouds. A secret URI on any other host
    /// is refused before a request is made: the request would carry the function app's Azure AD token there.
    /// </summary>
    public static IReadOnlyList<string> KeyVaultHostSuffixes { get; } =
    [
        ".vault.azure.net", ".vault.azure.cn", ".vault.usgovcloudapi.net", ".vault.microsoftazure.de",
        ".managedhsm.azure.net", ".managedhsm.azure.cn", ".managedhsm.usgovcloudapi.net", ".managedhsm.microsoftazure.de",
    ];

    public XmppConnectionResolver(
        TokenCredential? credential = null,
        SecretClientOptions? clientOptions = null,
        TimeSpan? cacheTtl = null,
        TimeSpan? timeout = null,
        TimeProvider? timeProvider = null,
        TimeSpan? gracePeriod = null,
        IReadOnlyList<string>? vaultHostSuffixes = null,
        ILogger? logger = null)
    {
        _gracePeriod = gracePeriod ?? TimeSpan.FromHours(1);
        _vaultHostSuffixes = vaultHostSuffixes is { Count: > 0 } ? vaultHostSuffixes : KeyVaultHostSuffixes;
        _logger = logger ?? NullLogger.Instance;
        // DefaultAzureCredential probes the environment when created: only pay for it when a secret is read.
        _credential = credential is null ? new Lazy<TokenCredential>(() => new DefaultAzureCredential()) : new Lazy<TokenCredential>(credential);
        _clientOptions = clientOptions;
        _cacheTtl = cacheTtl ?? TimeSpan.FromMinutes(5);
        _timeout = timeout ?? TimeSpan.FromSeconds(30);
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Checks the form of a setting value without reading any secret; throws <see cref="XmppConnectionException"/>.</summary>
    public static void Validate(string settingName, string? value) => ConnectionEntries.Parse(settingName, value);

    /// <summary>Resolves a setting value to URLs, reading (or reusing) Key Vault secrets.</summary>
    public async Task<IReadOnlyList<ResolvedXmppUrl>> ResolveAsync(string settingName, string? value, CancellationToken cancellationToken)
    {
        var result = new List<ResolvedXmppUrl>();
        foreach (var entry in ConnectionEntries.Parse(settingName, value))
        {
            if (entry.Secret is { } secret)
            {
                foreach (var url in await GetSecretUrlsAsync(secret, cancellationToken).ConfigureAwait(false))
                {
                    result.Add(new ResolvedXmppUrl(url.Url, secret.SourceId, url.Tags.Concat(entry.Tags)));
                }
            }
            else
            {
                result.Add(new ResolvedXmppUrl(entry.AppriseUrl!, null, entry.Tags));
            }
        }

        return result;
    }

    /// <summary>Forgets the cached value of a secret, so the next resolve reads it again.</summary>
    public void Invalidate(Uri secretUri)
    {
        ArgumentNullException.ThrowIfNull(secretUri);
        _cache.TryRemove(CacheKey(secretUri), out _);
        // The value failed (a rotated password): it must not come back as a fallback while the vault is down.
        _lastGood.TryRemove(CacheKey(secretUri), out _);
    }

    private Task<IReadOnlyList<TaggedUrl>> GetSecretUrlsAsync(KeyVaultSecretIdentifier secret, CancellationToken cancellationToken)
    {
        var host = secret.VaultUri.Host;
        if (!_vaultHostSuffixes.Any(suffix => host.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) && host.Length > suffix.TrimStart('.').Length))
        {
            throw new XmppConnectionException(
                $"The secret URI {secret.SourceId} is not on a Key Vault host ({string.Join(", ", _vaultHostSuffixes.Select(h => "*" + h))}); " +
                "it was not read, because the request would carry the app's Azure AD token to that host.");
        }

        string key = CacheKey(secret.SourceId);
        var now = _time.GetUtcNow();
        if (_cache.TryGetValue(key, out var cached) && cached.Expires > now && !cached.Value.IsFaulted && !cached.Value.IsCanceled)
        {
            return cached.Value.WaitAsync(cancellationToken);
        }

        // Concurrent invocations share one read, which therefore is bounded by its own timeout rather than by one
        // caller's token; a failed read is never reused.
        CacheEntry? fresh = null;
        fresh = new CacheEntry(new Lazy<Task<IReadOnlyList<TaggedUrl>>>(() => ReadWithGraceAsync(secret, key, fresh!)), now + _cacheTtl);
        var entry = _cache.AddOrUpdate(key, fresh, (_, existing) =>
            existing.Expires > now && !existing.Value.IsFaulted && !existing.Value.IsCanceled ? existing : fresh);
        return entry.Value.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Reads the secret; when the vault is unreachable, times out, throttles or answers 5xx, a value read successfully
    /// within the grace period (counted from when its TTL ended) keeps serving, with a warning. A vault that answers
    /// always wins, so a rotation takes effect as soon as it can be read; a clear refusal (404, 403) is never masked.
    /// </summary>
    private async Task<IReadOnlyList<TaggedUrl>> ReadWithGraceAsync(KeyVaultSecretIdentifier secret, string key, CacheEntry entry)
    {
        try
        {
            var urls = await ReadSecretAsync(secret).ConfigureAwait(false);
            _lastGood[key] = new LastGood(urls, _time.GetUtcNow());
            return urls;
        }
        catch (VaultUnavailableException e)
        {
            var now = _time.GetUtcNow();
            if (_lastGood.TryGetValue(key, out var last) && now < last.ReadAt + _cacheTtl + _gracePeriod)
            {
                var graceEnds = last.ReadAt + _cacheTtl + _gracePeriod;
                LogServingStale(_logger, secret.SourceId, e.Message, last.ReadAt, graceEnds);
                // Reused like a fresh read (the vault is not asked again at once), but never past the grace period.
                if (entry.Expires > graceEnds)
                    entry.Expires = graceEnds;
                return last.Urls;
            }

            var stale = last is null ? "" : $" The value read at {last.ReadAt:u} is older than its TTL plus the grace period ({_gracePeriod.TotalMinutes:0.#} min) and is no longer used.";
            throw new XmppConnectionException(e.Message + stale, e.InnerException);
        }
    }

    private async Task<IReadOnlyList<TaggedUrl>> ReadSecretAsync(KeyVaultSecretIdentifier secret)
    {
        using var timeout = new CancellationTokenSource(_timeout);
        {
            var client = _clients.GetOrAdd(secret.VaultUri, vault => new SecretClient(vault, _credential.Value, _clientOptions ?? new SecretClientOptions()));
            KeyVaultSecret value;
            try
            {
                value = (await client.GetSecretAsync(secret.Name, secret.Version, timeout.Token).ConfigureAwait(false)).Value;
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                throw new VaultUnavailableException($"Reading the Key Vault secret {secret.SourceId} timed out after {_timeout.TotalSeconds:0.#} s.", null);
            }
            catch (OperationCanceledException e)
            {
                // No caller token reaches this read: a cancellation here is the SDK's own network timeout (Retry.NetworkTimeout).
                throw new VaultUnavailableException($"Reading the Key Vault secret {secret.SourceId} failed: the vault did not answer within the client's network timeout.", e);
            }
            catch (RequestFailedException e) when (e.Status is 0 or 408 or 429 or >= 500)
            {
                // Unreachable (status 0), throttled or failing: the vault said nothing about the secret itself.
                var what = e.Status switch
                {
                    0 => "the vault could not be reached",
                    429 => "the vault is throttling requests (HTTP 429)",
                    _ => $"the vault answered HTTP {e.Status}{(e.ErrorCode is null ? "" : $" ({e.ErrorCode})")}",
                };
                throw new VaultUnavailableException($"Reading the Key Vault secret {secret.SourceId} failed: {what}.", e);
            }
            catch (RequestFailedException e)
            {
                // e.Message carries response headers and content; the status and error code say enough.
                string hint = e.Status switch
                {
                    404 => "the secret (or that version) does not exist",
                    401 or 403 => "the identity is not allowed to read it (role 'Key Vault Secrets User' or an access policy with 'get')",
                    _ => "the vault answered with an error",
                };
                throw new XmppConnectionException(
                    $"Reading the Key Vault secret {secret.SourceId} failed: HTTP {e.Status}{(e.ErrorCode is null ? "" : $" ({e.ErrorCode})")}: {hint}.", e);
            }
            catch (AuthenticationFailedException e)
            {
                throw new XmppConnectionException($"Reading the Key Vault secret {secret.SourceId} failed: no token for Key Vault: {e.Message}", e);
            }
            catch (Exception e) when (e is not XmppConnectionException and not VaultUnavailableException)
            {
                // E.g. the SDK's challenge check refusing a host that does not claim to be Key Vault (InvalidOperationException):
                // the caller gets the typed connection error either way.
                throw new XmppConnectionException($"Reading the Key Vault secret {secret.SourceId} failed ({e.GetType().Name}): {e.Message}", e);
            }

            if (value.Properties.Enabled == false)
            {
                throw new XmppConnectionException($"The Key Vault secret {secret.SourceId} is disabled.");
            }

            var urls = ConnectionEntries.Items(value.Value ?? "", $"the Key Vault secret {secret.SourceId}");
            if (urls.Count == 0)
            {
                throw new XmppConnectionException($"The Key Vault secret {secret.SourceId} is empty; it should hold one or more Apprise XMPP URLs, one per line, or an Apprise configuration.");
            }

            for (int i = 0; i < urls.Count; i++)
            {
                if (!urls[i].Url.StartsWith("xmpp://", StringComparison.OrdinalIgnoreCase) && !urls[i].Url.StartsWith("xmpps://", StringComparison.OrdinalIgnoreCase))
                {
                    throw new XmppConnectionException($"Line {i + 1} of the Key Vault secret {secret.SourceId} is not an Apprise XMPP URL (xmpp:// or xmpps://).");
                }
            }

            return urls;
        }
    }

    private static string CacheKey(Uri secretUri) => secretUri.GetLeftPart(UriPartial.Path).TrimEnd('/');

    [LoggerMessage(1, LogLevel.Warning, "Key Vault secret {SecretUri} could not be refreshed ({Reason}); using the value read at {ReadAt:u} until {GraceEnds:u}.")]
    private static partial void LogServingStale(ILogger logger, Uri secretUri, string reason, DateTimeOffset readAt, DateTimeOffset graceEnds);

    /// <summary>The vault did not answer about the secret (unreachable, timeout, throttling, 5xx): a last good value may serve.</summary>
    private sealed class VaultUnavailableException(string message, Exception? inner) : Exception(message, inner);

    private sealed record LastGood(IReadOnlyList<TaggedUrl> Urls, DateTimeOffset ReadAt);

    private sealed class CacheEntry(Lazy<Task<IReadOnlyList<TaggedUrl>>> read, DateTimeOffset expires)
    {
        private long _expiresTicks = expires.UtcTicks;

        public Task<IReadOnlyList<TaggedUrl>> Value => read.Value;

        /// <summary>Shortened when a stale value serves during an outage; read by concurrent callers.</summary>
        public DateTimeOffset Expires
        {
            get => new(Interlocked.Read(ref _expiresTicks), TimeSpan.Zero);
            set => Interlocked.Exchange(ref _expiresTicks, value.UtcTicks);
        }
    }
}
