using Microsoft.Azure.WebJobs.Host.Indexers;
using Microsoft.Azure.WebJobs;
using Xmpp.Notifications.Contracts;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp.Tests.Extension;

/// <summary>Configuration mistakes stop the host at startup (indexing) with a message that says what to fix.</summary>
public sealed class IndexingErrorTests
{
    private const string Password = "Ind3x-Secret-pw";

    private static async Task<(string Message, CapturingLoggerProvider Logs)> StartFailsAsync(Type functions, Dictionary<string, string?> settings)
    {
        var logs = new CapturingLoggerProvider();
        var e = await Assert.ThrowsAsync<FunctionIndexingException>(
            () => JobHostRunner.StartAsync(functions, settings, new RecordingNotifier(), logs: logs));
        var message = BindingShapeTests.Innermost(e).Message;
        Assert.DoesNotContain(Password, e.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Password, logs.AllText, StringComparison.Ordinal);
        return (message, logs);
    }

    private static Dictionary<string, string?> Valid() => new() { ["XmppConnection"] = $"xmpps://bot:{Password}@example.org/alice" };

    [Fact]
    public async Task Unknown_format()
    {
        var (message, _) = await StartFailsAsync(typeof(BadFormat), Valid());
        Assert.Equal("[Xmpp] Format 'rtf' is not valid; expected text, markdown or html.", message);
    }

    [Fact]
    public async Task Unknown_type()
    {
        var (message, _) = await StartFailsAsync(typeof(BadType), Valid());
        Assert.Equal("[Xmpp] Type 'groupchat' is not valid; expected chat, normal or headline.", message);
    }

    [Fact]
    public async Task Missing_setting_is_named()
    {
        var (message, _) = await StartFailsAsync(typeof(NamedConnection), Valid());
        Assert.StartsWith("The XMPP connection setting 'AlertsXmpp' is missing or empty.", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_default_setting_is_named()
    {
        var (message, _) = await StartFailsAsync(typeof(DefaultConnection), new());
        Assert.StartsWith("The XMPP connection setting 'XmppConnection' is missing or empty.", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unresolved_app_service_key_vault_reference()
    {
        var (message, _) = await StartFailsAsync(typeof(DefaultConnection), new()
        {
            ["XmppConnection"] = "@Microsoft.KeyVault(SecretUri=https://myvault.vault.azure.net/secrets/xmpp/)",
        });
        Assert.Contains("'XmppConnection' still holds an unresolved Key Vault reference", message, StringComparison.Ordinal);
        Assert.Contains("managed identity", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Value_that_is_not_a_url_is_rejected_without_printing_it()
    {
        var (message, _) = await StartFailsAsync(typeof(DefaultConnection), new() { ["XmppConnection"] = $"bot:{Password}@example.org" });
        Assert.Contains("Entry 1 of the XMPP connection setting 'XmppConnection' is text that is not a URL", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Https_url_that_is_not_a_secret_uri()
    {
        var (message, _) = await StartFailsAsync(typeof(DefaultConnection), new() { ["XmppConnection"] = "https://myvault.vault.azure.net/keys/xmpp" });
        Assert.Contains("is an https URL but not a Key Vault secret URI", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_apprise_url_is_explained_without_the_password()
    {
        var (message, _) = await StartFailsAsync(typeof(DefaultConnection), new()
        {
            ["XmppConnection"] = $"xmpps://ok:pw@example.org/alice xmpps://bot:{Password}@example.org/alice?mode=bogus",
        });
        Assert.StartsWith("Entry 2 of the XMPP connection setting 'XmppConnection' is not a valid Apprise XMPP URL: ", message, StringComparison.Ordinal);
        Assert.Contains("mode", message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Options_name_the_default_setting()
    {
        var logs = new CapturingLoggerProvider();
        var e = await Assert.ThrowsAsync<FunctionIndexingException>(() => JobHostRunner.StartAsync(
            typeof(DefaultConnection), Valid(), new RecordingNotifier(), o => o.Connection = "FromOptions", logs: logs));
        Assert.StartsWith("The XMPP connection setting 'FromOptions' is missing", BindingShapeTests.Innermost(e).Message, StringComparison.Ordinal);
    }

    public static class BadFormat
    {
        [NoAutomaticTrigger]
        public static void Run([Xmpp(Format = "rtf")] out XmppMessage message) => message = new() { Body = "x" };
    }

    public static class BadType
    {
        [NoAutomaticTrigger]
        public static void Run([Xmpp(Type = "groupchat")] out XmppMessage message) => message = new() { Body = "x" };
    }

    public static class NamedConnection
    {
        [NoAutomaticTrigger]
        public static void Run([Xmpp(Connection = "AlertsXmpp")] out XmppMessage message) => message = new() { Body = "x" };
    }

    public static class DefaultConnection
    {
        [NoAutomaticTrigger]
        [return: Xmpp]
        public static string Run() => "x";
    }
}
