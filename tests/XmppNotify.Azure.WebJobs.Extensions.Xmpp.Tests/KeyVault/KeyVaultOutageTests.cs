using Microsoft.Extensions.Logging;
using XmppNotify.Azure.WebJobs.Extensions.Xmpp.KeyVault;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp.Tests.KeyVault;

/// <summary>
/// Key Vault unreachable, throttling or failing, and secret URIs on hosts that are not Key Vault: against the local
/// endpoint that speaks the Key Vault contract, with the real SecretClient.
/// </summary>
public sealed class KeyVaultOutageTests : IAsyncLifetime
{
    private const string OldPassword = "0ld-Vault-Pa55";
    private const string NewPassword = "N3w-Vault-Pa55";
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(30);

    private readonly FixedTokenCredential _credential = new();
    private readonly ManualTimeProvider _clock = new();
    private readonly ListLogger _log = new();
    private FakeKeyVault _vault = null!;

    public async Task InitializeAsync() => _vault = await FakeKeyVault.StartAsync();

    public async Task DisposeAsync() => await _vault.DisposeAsync();

    private XmppConnectionResolver Resolver(IReadOnlyList<string>? hosts = null, TimeSpan? timeout = null) =>
        new(_credential, _vault.ClientOptions(), Ttl, timeout ?? TimeSpan.FromSeconds(20), _clock, Grace, hosts, _log);

    private async Task<string> UrlAsync(XmppConnectionResolver resolver, string secret = "xmpp")
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return Assert.Single(await resolver.ResolveAsync("XmppConnection", _vault.SecretUri(secret).ToString(), timeout.Token)).Url;
    }

    [Theory]
    [InlineData(KeyVaultFault.ServiceUnavailable, "HTTP 503")]
    [InlineData(KeyVaultFault.Throttled, "throttling")]
    public async Task A_secret_read_before_keeps_serving_through_an_outage_within_the_grace_period(KeyVaultFault fault, string reason)
    {
        _vault.SetSecret("xmpp", $"xmpps://bot:{OldPassword}@example.org/alice");
        var resolver = Resolver();
        await UrlAsync(resolver);

        _vault.Fault = fault;
        _clock.Now += Ttl + TimeSpan.FromMinutes(1);
        Assert.Contains(OldPassword, await UrlAsync(resolver), StringComparison.Ordinal);
        Assert.Equal(1, _vault.Faulted);
        var warning = Assert.Single(_log.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains(reason, warning.Message, StringComparison.Ordinal);
        Assert.Contains(_vault.SecretUri("xmpp").ToString(), warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(OldPassword, warning.Message, StringComparison.Ordinal);

        // Past TTL plus grace the stale value is no longer used: the vault's error is the answer.
        _clock.Now += Grace;
        var error = await Assert.ThrowsAsync<XmppConnectionException>(() => UrlAsync(resolver));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Contains("grace period", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(OldPassword, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_vault_that_does_not_answer_falls_back_after_the_read_timeout()
    {
        _vault.SetSecret("xmpp", $"xmpps://bot:{OldPassword}@example.org/alice");
        var resolver = Resolver(timeout: TimeSpan.FromSeconds(1));
        await UrlAsync(resolver);
        _vault.Fault = KeyVaultFault.Stall;
        _clock.Now += Ttl + TimeSpan.FromSeconds(1);
        Assert.Contains(OldPassword, await UrlAsync(resolver), StringComparison.Ordinal);
        Assert.Contains(_log.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("timed out", StringComparison.Ordinal));
        // The stale value is reused like a fresh read: the stalled vault is not asked again for every invocation.
        await UrlAsync(resolver);
        Assert.Equal(1, _vault.Faulted);
    }

    [Fact]
    public async Task Rotation_wins_as_soon_as_the_vault_answers_again()
    {
        _vault.SetSecret("xmpp", $"xmpps://bot:{OldPassword}@example.org/alice");
        var resolver = Resolver();
        await UrlAsync(resolver);
        _vault.Fault = KeyVaultFault.ServiceUnavailable;
        _clock.Now += Ttl + TimeSpan.FromSeconds(1);
        Assert.Contains(OldPassword, await UrlAsync(resolver), StringComparison.Ordinal);

        _vault.SetSecret("xmpp", $"xmpps://bot:{NewPassword}@example.org/alice");
        _vault.Fault = KeyVaultFault.None;
        _clock.Now += Ttl + TimeSpan.FromSeconds(1);
        Assert.Contains(NewPassword, await UrlAsync(resolver), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_an_earlier_read_an_outage_fails_clearly()
    {
        _vault.SetSecret("xmpp", $"xmpps://bot:{OldPassword}@example.org/alice");
        _vault.Fault = KeyVaultFault.ServiceUnavailable;
        var error = await Assert.ThrowsAsync<XmppConnectionException>(() => UrlAsync(Resolver()));
        Assert.Contains("HTTP 503", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_log.Entries, e => e.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task A_value_invalidated_after_an_authentication_failure_is_not_a_fallback()
    {
        _vault.SetSecret("xmpp", $"xmpps://bot:{OldPassword}@example.org/alice");
        var resolver = Resolver();
        await UrlAsync(resolver);
        resolver.Invalidate(_vault.SecretUri("xmpp"));
        _vault.Fault = KeyVaultFault.ServiceUnavailable;
        await Assert.ThrowsAsync<XmppConnectionException>(() => UrlAsync(resolver));
    }

    [Fact]
    public async Task A_clear_refusal_is_never_masked_by_an_old_value()
    {
        _vault.SetSecret("xmpp", $"xmpps://bot:{OldPassword}@example.org/alice");
        var resolver = Resolver();
        await UrlAsync(resolver);
        _vault.Fault = KeyVaultFault.Forbidden;
        _clock.Now += Ttl + TimeSpan.FromSeconds(1);
        var error = await Assert.ThrowsAsync<XmppConnectionException>(() => UrlAsync(resolver));
        Assert.Contains("HTTP 403", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://attacker.example/secrets/xmpp")]
    [InlineData("https://vault.azure.net.attacker.example/secrets/xmpp")]
    [InlineData("https://myvault.vault.azure.net.evil/secrets/xmpp")]
    [InlineData("https://notvault.azure.net/secrets/xmpp")]
    public async Task A_secret_uri_on_another_host_is_refused_without_a_request(string uri)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var error = await Assert.ThrowsAsync<XmppConnectionException>(() => Resolver().ResolveAsync("XmppConnection", uri, timeout.Token));
        Assert.Contains("not on a Key Vault host", error.Message, StringComparison.Ordinal);
        Assert.Contains("*.vault.azure.net", error.Message, StringComparison.Ordinal);
        Assert.Empty(_credential.Requests);
    }

    [Fact]
    public async Task The_loopback_endpoint_itself_is_refused_unread()
    {
        _vault.SetSecret("xmpp", $"xmpps://bot:{OldPassword}@example.org/alice");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await Assert.ThrowsAsync<XmppConnectionException>(() =>
            Resolver().ResolveAsync("XmppConnection", new Uri(_vault.LoopbackUri, "secrets/xmpp").ToString(), timeout.Token));
        Assert.Equal(0, _vault.Challenges);
        Assert.False(_vault.Reads.ContainsKey("xmpp"));
    }

    [Theory]
    [InlineData("https://v1.vault.azure.cn/secrets/x")]
    [InlineData("https://v1.vault.usgovcloudapi.net/secrets/x")]
    [InlineData("https://v1.vault.microsoftazure.de/secrets/x")]
    [InlineData("https://hsm1.managedhsm.azure.net/secrets/x")]
    public void Every_cloud_s_vault_host_is_allowed(string uri)
    {
        var host = new Uri(uri).Host;
        Assert.Contains(XmppConnectionResolver.KeyVaultHostSuffixes, suffix => host.EndsWith(suffix, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_challenge_for_another_resource_is_a_typed_connection_error()
    {
        // SecretClient refuses a challenge whose resource does not match the vault's domain with InvalidOperationException.
        _vault.SetSecret("xmpp", $"xmpps://bot:{OldPassword}@example.org/alice");
        _vault.ChallengeResource = "https://vault.attacker.example";
        var error = await Assert.ThrowsAsync<XmppConnectionException>(() => UrlAsync(Resolver()));
        Assert.IsType<InvalidOperationException>(error.InnerException);
        Assert.Contains(_vault.SecretUri("xmpp").ToString(), error.Message, StringComparison.Ordinal);
        Assert.Empty(_credential.Requests);
    }

    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Entries)
                Entries.Add((logLevel, formatter(state, exception)));
        }
    }
}
