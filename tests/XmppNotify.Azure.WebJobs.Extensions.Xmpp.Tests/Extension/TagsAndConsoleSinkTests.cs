using Microsoft.Azure.WebJobs;
using Xmpp.Notifications.Contracts;
using XmppNotify.Azure.WebJobs.Extensions.Xmpp.KeyVault;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp.Tests.Extension;

/// <summary>Apprise configurations in the connection setting, the binding's Tag, and the console: sink, on a real JobHost.</summary>
public sealed class TagsAndConsoleSinkTests : IAsyncLifetime
{
    private const string Password = "Tag-S3cret-pw";

    private readonly RecordingNotifier _notifier = new();
    private JobHostRunner _host = null!;

    public async Task InitializeAsync() =>
        _host = await JobHostRunner.StartAsync(typeof(Functions), new Dictionary<string, string?>
        {
            ["TextConfig"] = $"""
                # Apprise TEXT
                xmpps://plain:{Password}@example.org/alice
                ops=xmpps://ops:{Password}@example.org/alice
                ops, db=xmpps://opsdb:{Password}@example.org/alice
                """,
            ["YamlConfig"] = $"""
                urls:
                  - xmpps://dev:{Password}@example.org/alice:
                      tag: dev
                """,
            ["ConsoleOnly"] = "console:",
            ["OpsTag"] = "ops",
        }, _notifier);

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        Assert.DoesNotContain(Password, _host.Logs.AllText, StringComparison.Ordinal);
    }

    private List<string> Logins() =>
        Assert.Single(_notifier.Calls).Urls.Select(u => u[(u.IndexOf("://", StringComparison.Ordinal) + 3)..u.IndexOf(':', u.IndexOf("://", StringComparison.Ordinal) + 3)]).ToList();

    [Theory]
    [InlineData(nameof(Functions.Untagged), new[] { "plain" })]
    [InlineData(nameof(Functions.Ops), new[] { "ops", "opsdb" })]
    [InlineData(nameof(Functions.OpsAndDb), new[] { "opsdb" })]
    [InlineData(nameof(Functions.DbOrPlainless), new[] { "opsdb" })]
    [InlineData(nameof(Functions.All), new[] { "plain", "ops", "opsdb" })]
    [InlineData(nameof(Functions.TagFromSetting), new[] { "ops", "opsdb" })]
    [InlineData(nameof(Functions.YamlDev), new[] { "dev" })]
    public async Task Tag_selects_urls_of_the_configuration(string function, string[] logins)
    {
        await _host.CallAsync(typeof(Functions), function);

        Assert.Equal(logins, Logins());
    }

    [Fact]
    public async Task Tag_matching_nothing_fails_the_invocation_and_sends_nothing()
    {
        var e = await Assert.ThrowsAnyAsync<Exception>(() => _host.CallAsync(typeof(Functions), nameof(Functions.Nobody)));

        var inner = Assert.IsType<XmppConnectionException>(BindingShapeTests.Innermost(e));
        Assert.Contains("No URL of the XMPP connection setting 'TextConfig' carries the tag(s) nobody", inner.Message, StringComparison.Ordinal);
        Assert.Empty(_notifier.Calls);
    }

    [Fact]
    public async Task Console_sink_logs_the_message_and_sends_nothing()
    {
        await _host.CallAsync(typeof(Functions), nameof(Functions.Console));

        Assert.Empty(_notifier.Calls);
        var logged = _host.Logs.AllText;
        Assert.Contains("XMPP console sink (setting 'ConsoleOnly'), not sent:", logged, StringComparison.Ordinal);
        Assert.Contains("to: bob@example.org | type: headline | format: markdown", logged, StringComparison.Ordinal);
        Assert.Contains("title: Disk", logged, StringComparison.Ordinal);
        Assert.Contains("**90 %** full", logged, StringComparison.Ordinal);
    }

    public static class Functions
    {
        private static XmppMessage Message => new() { Body = "hello" };

        [NoAutomaticTrigger]
        public static void Untagged([Xmpp(Connection = "TextConfig")] out XmppMessage message) => message = Message;

        [NoAutomaticTrigger]
        public static void Ops([Xmpp(Connection = "TextConfig", Tag = "ops")] out XmppMessage message) => message = Message;

        [NoAutomaticTrigger]
        public static void OpsAndDb([Xmpp(Connection = "TextConfig", Tag = "ops,db")] out XmppMessage message) => message = Message;

        [NoAutomaticTrigger]
        public static void DbOrPlainless([Xmpp(Connection = "TextConfig", Tag = "db;nothing")] out XmppMessage message) => message = Message;

        [NoAutomaticTrigger]
        public static void All([Xmpp(Connection = "TextConfig", Tag = "all")] out XmppMessage message) => message = Message;

        [NoAutomaticTrigger]
        public static void TagFromSetting([Xmpp(Connection = "TextConfig", Tag = "%OpsTag%")] out XmppMessage message) => message = Message;

        [NoAutomaticTrigger]
        public static void YamlDev([Xmpp(Connection = "YamlConfig", Tag = "dev")] out XmppMessage message) => message = Message;

        [NoAutomaticTrigger]
        public static void Nobody([Xmpp(Connection = "TextConfig", Tag = "nobody")] out XmppMessage message) => message = Message;

        [NoAutomaticTrigger]
        public static void Console([Xmpp(Connection = "ConsoleOnly")] out XmppMessage message) =>
            message = new XmppMessage { To = "bob@example.org", Title = "Disk", Body = "**90 %** full", Format = "markdown", Type = "headline" };
    }
}
