using Microsoft.Azure.WebJobs.Host;
using Microsoft.Azure.WebJobs;
using Xmpp.Notifications.Contracts;
using Xmpp.Notifications;
using XmppNotify.Azure.WebJobs.Extensions.Xmpp.KeyVault;
using XmppNotify.Azure.WebJobs.Extensions.Xmpp.Tests.Extension;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp.Tests.KeyVault;

/// <summary>
/// Contract tests: the real SecretClient (challenge, bearer token, REST paths) against a local endpoint that speaks
/// the Key Vault secrets contract; what they prove about Azure itself is only as good as that contract.
/// </summary>
public sealed class KeyVaultContractTests : IAsyncLifetime
{
    private const string OldPassword = "0ld-Vault-Pa55";
    private const string NewPassword = "N3w-Vault-Pa55";

    private readonly FixedTokenCredential _credential = new();
    private readonly ManualTimeProvider _clock = new();
    private FakeKeyVault _vault = null!;

    public async Task InitializeAsync() => _vault = await FakeKeyVault.StartAsync();

    public async Task DisposeAsync() => await _vault.DisposeAsync();

    private XmppConnectionResolver Resolver() =>
        new(_credential, _vault.ClientOptions(), TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(20), _clock);

    private static async Task<IReadOnlyList<ResolvedXmppUrl>> ResolveAsync(XmppConnectionResolver resolver, string value)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await resolver.ResolveAsync("XmppConnection", value, timeout.Token);
    }

    [Fact]
    public async Task Reads_a_secret_after_the_bearer_challenge()
    {
        _vault.SetSecret("xmpp", $"xmpps://bot:{OldPassword}@example.org/alice");
        var urls = await ResolveAsync(Resolver(), _vault.SecretUri("xmpp").ToString());

        var url = Assert.Single(urls);
        Assert.Equal($"xmpps://bot:{OldPassword}@example.org/alice", url.Url);
        Assert.Equal(_vault.SecretUri("xmpp"), url.SecretUri);
        Assert.DoesNotContain(OldPassword, url.ToString(), StringComparison.Ordinal);
        Assert.True(_vault.Challenges >= 1, "SecretClient should have been challenged first");
        var token = Assert.Single(_credential.Requests);
        Assert.Equal(["https://vault.azure.net/.default"], token.Scopes);
        Assert.Equal(FakeKeyVault.Tenant, token.TenantId);
        Assert.All(_vault.ApiVersions, v => Assert.False(string.IsNullOrEmpty(v)));
    }

    [Fact]
    public async Task Second_resolve_within_the_ttl_does_not_hit_the_vault()
    {
        _vault.SetSecret("xmpp", $"xmpps://bot:{OldPassword}@example.org/alice");
        var resolver = Resolver();
        await ResolveAsync(resolver, _vault.SecretUri("xmpp").ToString());
        _clock.Now += TimeSpan.FromMinutes(4);
        await ResolveAsync(resolver, _vault.SecretUri("xmpp").ToString());
        Assert.Equal(1, _vault.Reads["xmpp"]);
    }

    [Fact]
    public async Task Ttl_expiry_reads_again_and_sees_the_rotated_value()
    {
        _vault.SetSecret("xmpp", $"xmpps://bot:{OldPassword}@example.org/alice");
        var resolver = Resolver();
        await ResolveAsync(resolver, _vault.SecretUri("xmpp").ToString());
        _vault.SetSecret("xmpp", $"xmpps://bot:{NewPassword}@example.org/alice");
        _clock.Now += TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1);
        var urls = await ResolveAsync(resolver, _vault.SecretUri("xmpp").ToString());
        Assert.Equal(2, _vault.Reads["xmpp"]);
        Assert.Contains(NewPassword, Assert.Single(urls).Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalidate_rereads_a_rotated_password()
    {
        _vault.SetSecret("xmpp", $"xmpps://bot:{OldPassword}@example.org/alice");
        var resolver = Resolver();
        await ResolveAsync(resolver, _vault.SecretUri("xmpp").ToString());
        _vault.SetSecret("xmpp", $"xmpps://bot:{NewPassword}@example.org/alice");

        Assert.Contains(OldPassword, Assert.Single(await ResolveAsync(resolver, _vault.SecretUri("xmpp").ToString())).Url, StringComparison.Ordinal);
        resolver.Invalidate(_vault.SecretUri("xmpp"));
        Assert.Contains(NewPassword, Assert.Single(await ResolveAsync(resolver, _vault.SecretUri("xmpp").ToString())).Url, StringComparison.Ordinal);
        Assert.Equal(2, _vault.Reads["xmpp"]);
    }

    [Fact]
    public async Task A_secret_holds_several_urls_and_settings_mix_urls_and_secrets()
    {
        _vault.SetSecret("many", "xmpps://a:p1@example.org/alice\r\nxmpps://b:p2@example.net/bob?to=carol,dave\n\n  xmpp://c:p3@example.com/eve  ");
        var urls = await ResolveAsync(Resolver(), $"xmpps://direct:p0@example.org/zed\n{_vault.SecretUri("many")}");
        Assert.Equal(
            ["xmpps://direct:p0@example.org/zed", "xmpps://a:p1@example.org/alice", "xmpps://b:p2@example.net/bob?to=carol,dave", "xmpp://c:p3@example.com/eve"],
            urls.Select(u => u.Url));
        Assert.Null(urls[0].SecretUri);
        Assert.All(urls.Skip(1), u => Assert.Equal(_vault.SecretUri("many"), u.SecretUri));
    }

    [Fact]
    public async Task A_versioned_secret_uri_reads_that_version()
    {
        string first = _vault.SetSecret("xmpp", $"xmpps://bot:{OldPassword}@example.org/alice");
        _vault.SetSecret("xmpp", $"xmpps://bot:{NewPassword}@example.org/alice");
        var urls = await ResolveAsync(Resolver(), _vault.SecretUri("xmpp", first).ToString());
        Assert.Contains(OldPassword, Assert.Single(urls).Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_secret_fails_clearly()
    {
        var e = await Assert.ThrowsAsync<XmppConnectionException>(() => ResolveAsync(Resolver(), _vault.SecretUri("missing").ToString()));
        Assert.Equal(
            $"Reading the Key Vault secret {_vault.SecretUri("missing")} failed: HTTP 404 (SecretNotFound): the secret (or that version) does not exist.",
            e.Message);
    }

    [Fact]
    public async Task A_secret_that_is_not_urls_is_rejected_without_printing_it()
    {
        _vault.SetSecret("bad", $"xmpps://bot:{OldPassword}@example.org/alice\nbot:{NewPassword}");
        var e = await Assert.ThrowsAsync<XmppConnectionException>(() => ResolveAsync(Resolver(), _vault.SecretUri("bad").ToString()));
        Assert.Equal($"Line 2 of the Key Vault secret {_vault.SecretUri("bad")} is not an Apprise XMPP URL (xmpp:// or xmpps://).", e.Message);
    }

    [Fact]
    public async Task Failed_reads_are_not_cached()
    {
        var resolver = Resolver();
        await Assert.ThrowsAsync<XmppConnectionException>(() => ResolveAsync(resolver, _vault.SecretUri("late").ToString()));
        _vault.SetSecret("late", "xmpps://bot:pw@example.org/alice");
        Assert.Single(await ResolveAsync(resolver, _vault.SecretUri("late").ToString()));
    }

    [Fact]
    public async Task Rotated_password_is_picked_up_after_an_authentication_failure_and_delivery_retried_once()
    {
        _vault.SetSecret("xmpp", $"xmpps://bot:{OldPassword}@example.org/alice");
        var notifier = new RecordingNotifier
        {
            Outcome = url => url.Contains(OldPassword, StringComparison.Ordinal)
                ? RecordingNotifier.Failed("xmpps://bot:****@example.org/alice", NotifyFailureKind.Authentication, "not-authorized")
                : RecordingNotifier.Delivered("xmpps://bot:****@example.org/alice"),
        };
        await using var host = await JobHostRunner.StartAsync(
            typeof(Functions),
            new Dictionary<string, string?> { ["XmppConnection"] = _vault.SecretUri("xmpp").ToString() },
            notifier,
            o =>
            {
                o.KeyVaultCredential = _credential;
                o.KeyVaultClientOptions = _vault.ClientOptions();
            });

        // First invocation caches the old password; then the password is rotated in the vault.
        notifier.Outcome = _ => RecordingNotifier.Delivered("xmpps://bot:****@example.org/alice");
        await host.CallAsync(typeof(Functions), nameof(Functions.Send));
        _vault.SetSecret("xmpp", $"xmpps://bot:{NewPassword}@example.org/alice");
        notifier.Outcome = url => url.Contains(OldPassword, StringComparison.Ordinal)
            ? RecordingNotifier.Failed("xmpps://bot:****@example.org/alice", NotifyFailureKind.Authentication, "not-authorized")
            : RecordingNotifier.Delivered("xmpps://bot:****@example.org/alice");

        await host.CallAsync(typeof(Functions), nameof(Functions.Send));

        var calls = notifier.Calls.ToArray();
        Assert.Equal(3, calls.Length);
        Assert.Contains(OldPassword, Assert.Single(calls[1].Urls), StringComparison.Ordinal);
        Assert.Contains(NewPassword, Assert.Single(calls[2].Urls), StringComparison.Ordinal);
        Assert.Equal(2, _vault.Reads["xmpp"]);
        Assert.DoesNotContain(OldPassword, host.Logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain(NewPassword, host.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Authentication_failure_without_rotation_fails_the_invocation_after_one_reread()
    {
        _vault.SetSecret("xmpp", $"xmpps://bot:{OldPassword}@example.org/alice");
        var notifier = new RecordingNotifier
        {
            Outcome = _ => RecordingNotifier.Failed("xmpps://bot:****@example.org/alice", NotifyFailureKind.Authentication, "not-authorized"),
        };
        await using var host = await JobHostRunner.StartAsync(
            typeof(Functions),
            new Dictionary<string, string?> { ["XmppConnection"] = _vault.SecretUri("xmpp").ToString() },
            notifier,
            o =>
            {
                o.KeyVaultCredential = _credential;
                o.KeyVaultClientOptions = _vault.ClientOptions();
            });

        var e = await Assert.ThrowsAsync<FunctionInvocationException>(() => host.CallAsync(typeof(Functions), nameof(Functions.Send)));
        Assert.Contains("not-authorized", Assert.IsType<XmppDeliveryException>(BindingShapeTests.Innermost(e)).Message, StringComparison.Ordinal);
        Assert.Single(notifier.Calls);
        Assert.Equal(2, _vault.Reads["xmpp"]);
        Assert.DoesNotContain(OldPassword, host.Logs.AllText, StringComparison.Ordinal);
    }

    public static class Functions
    {
        [NoAutomaticTrigger]
        [return: Xmpp]
        public static XmppMessage Send() => new() { Body = "rotation" };
    }
}
