using System.Collections.Concurrent;
using Azure;
using Azure.Core;
using Azure.Identity;
using Azure.Security.KeyVault.Secrets;
using Xmpp.Notifications.Apprise;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp.KeyVault;

/// <summary>
/// Turns the value of a connection setting into Apprise URLs. The value holds, separated by line breaks or whitespace,
/// Apprise URLs (<c>xmpp://</c>, <c>xmpps://</c>) and Key Vault secret URIs
/// (<c>https://&lt;vault&gt;.vault.azure.net/secrets/&lt;name&gt;[/&lt;version&gt;]</c>, any cloud's vault host); a secret holds
/// one or more Apprise URLs in the same format. Secrets are read with <see cref="SecretClient"/> and cached for a TTL;
/// <see cref="Invalidate"/> drops one so a rotated password is picked up. Errors name settings and secret URIs, never values.
/// </summary>
public sealed class XmppConnectionResolver
{
    private readonly Lazy<TokenCredential> _credential;
    private readonly SecretClientOptions? _clientOptions;
    private readonly TimeSpan _cacheTtl;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<Uri, SecretClient> _clients = new();
    private readonly ConcurrentDictionary<string, CacheEntry> _cache = new(StringComparer.OrdinalIgnoreCase);

    public XmppConnectionResolver(
        TokenCredential? credential = null,
        SecretClientOptions? clientOptions = null,
        TimeSpan? cacheTtl = null,
        TimeSpan? timeout = null,
        TimeProvider? timeProvider = null)
    {
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
    }

    private Task<IReadOnlyList<TaggedUrl>> GetSecretUrlsAsync(KeyVaultSecretIdentifier secret, CancellationToken cancellationToken)
    {
        string key = CacheKey(secret.SourceId);
        var now = _time.GetUtcNow();
        if (_cache.TryGetValue(key, out var cached) && cached.Expires > now && !cached.Value.IsFaulted && !cached.Value.IsCanceled)
        {
            return cached.Value.WaitAsync(cancellationToken);
        }

        // Concurrent invocations share one read, which therefore is bounded by its own timeout rather than by one
        // caller's token; a failed read is never reused.
        var fresh = new CacheEntry(new Lazy<Task<IReadOnlyList<TaggedUrl>>>(() => ReadSecretAsync(secret)), now + _cacheTtl);
        var entry = _cache.AddOrUpdate(key, fresh, (_, existing) =>
            existing.Expires > now && !existing.Value.IsFaulted && !existing.Value.IsCanceled ? existing : fresh);
        return entry.Value.WaitAsync(cancellationToken);
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
                throw new XmppConnectionException($"Reading the Key Vault secret {secret.SourceId} timed out after {_timeout.TotalSeconds:0.#} s.");
            }
            catch (OperationCanceledException e)
            {
                // No caller token reaches this read: a cancellation here is the SDK's own network timeout (Retry.NetworkTimeout).
                throw new XmppConnectionException($"Reading the Key Vault secret {secret.SourceId} failed: the vault did not answer within the client's network timeout.", e);
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

    private sealed record CacheEntry(Lazy<Task<IReadOnlyList<TaggedUrl>>> Read, DateTimeOffset Expires)
    {
        public Task<IReadOnlyList<TaggedUrl>> Value => Read.Value;
    }
}
