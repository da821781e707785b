using System.IO;
using System.Text;
using Microsoft.Azure.WebJobs.Host;
using Microsoft.Azure.WebJobs;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using Xmpp.Client;
using Xmpp.Notifications.Contracts;
using Xmpp.Notifications;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp.Tests.Extension;

/// <summary>
/// Every way a function can hand messages to [Xmpp], on a real JobHost, asserting what reaches the notifier.
/// </summary>
public sealed class BindingShapeTests : IAsyncLifetime
{
    private const string Password = "S3cret-Pa55-word";
    private const string Url = "xmpps://bot:" + Password + "@example.org/alice";

    private readonly RecordingNotifier _notifier = new();
    private JobHostRunner _host = null!;

    public async Task InitializeAsync() =>
        _host = await JobHostRunner.StartAsync(typeof(Functions), new Dictionary<string, string?>
        {
            ["XmppConnection"] = Url,
            ["OtherConnection"] = "xmpp://other:pw@example.net/bob",
            ["AlertTitle"] = "Alert from settings",
        }, _notifier);

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        Assert.DoesNotContain(Password, _host.Logs.AllText, StringComparison.Ordinal);
    }

    /// <summary>The host wraps binding errors: FunctionInvocationException, then "Error while handling parameter ...".</summary>
    internal static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e;
    }

    private Notification Single()
    {
        var call = Assert.Single(_notifier.Calls);
        Assert.Equal([Url], call.Urls);
        return Assert.Single(call.Notifications);
    }

    [Fact]
    public async Task Out_message()
    {
        await _host.CallAsync(typeof(Functions), nameof(Functions.OutMessage));
        var n = Single();
        Assert.Equal("t", n.Title);
        Assert.Equal("b", n.Body);
        Assert.Equal(["bob", "carol@example.org", "#ops@conference.example.org"], n.Targets);
        Assert.Equal(NotifyFormat.Markdown, n.Format);
        Assert.Equal(MessageType.Headline, n.Type);
    }

    [Fact]
    public async Task Return_message()
    {
        await _host.CallAsync(typeof(Functions), nameof(Functions.ReturnMessage));
        var n = Single();
        Assert.Equal("returned", n.Body);
        Assert.Null(n.Title);
        Assert.Null(n.Targets);
        Assert.Equal(NotifyFormat.Text, n.Format);
        Assert.Equal(MessageType.Chat, n.Type);
    }

    [Fact]
    public async Task Return_plain_text_is_the_body()
    {
        await _host.CallAsync(typeof(Functions), nameof(Functions.ReturnPlainText));
        Assert.Equal("disk {almost} full", Single().Body);
    }

    [Fact]
    public async Task Return_text_that_only_looks_like_json_is_the_body()
    {
        await _host.CallAsync(typeof(Functions), nameof(Functions.ReturnBrokenJson));
        Assert.Equal("{ not json", Single().Body);
    }

    [Fact]
    public async Task Return_json_object_string_in_pascal_case()
    {
        await _host.CallAsync(typeof(Functions), nameof(Functions.ReturnJsonString));
        var n = Single();
        Assert.Equal(("t", "b", NotifyFormat.Html), (n.Title, n.Body, n.Format));
        Assert.Equal(["bob"], n.Targets);
    }

    [Fact]
    public async Task Return_json_array_string_fans_out_in_one_delivery()
    {
        await _host.CallAsync(typeof(Functions), nameof(Functions.ReturnJsonArrayString));
        var call = Assert.Single(_notifier.Calls);
        Assert.Equal(["one", "two", "three"], call.Notifications.Select(n => n.Body));
        Assert.Equal(["alice", "bob"], call.Notifications[2].Targets);
    }

    [Fact]
    public async Task Return_jobject()
    {
        await _host.CallAsync(typeof(Functions), nameof(Functions.ReturnJObject));
        var n = Single();
        Assert.Equal(("from jobject", MessageType.Normal), (n.Body, n.Type));
    }

    [Fact]
    public async Task Return_array_of_messages()
    {
        await _host.CallAsync(typeof(Functions), nameof(Functions.ReturnArray));
        Assert.Equal(["a", "b"], Assert.Single(_notifier.Calls).Notifications.Select(n => n.Body));
    }

    [Fact]
    public async Task Out_string_array()
    {
        await _host.CallAsync(typeof(Functions), nameof(Functions.OutStrings));
        Assert.Equal(["x", "y", "z"], Assert.Single(_notifier.Calls).Notifications.Select(n => n.Body));
    }

    [Fact]
    public async Task Async_collector_delivers_everything_in_one_notifier_call()
    {
        await _host.CallAsync(typeof(Functions), nameof(Functions.AsyncCollector));
        Assert.Equal(["1", "2", "3"], Assert.Single(_notifier.Calls).Notifications.Select(n => n.Body));
    }

    [Fact]
    public async Task Sync_collector()
    {
        await _host.CallAsync(typeof(Functions), nameof(Functions.Collector));
        Assert.Equal(["sync"], Assert.Single(_notifier.Calls).Notifications.Select(n => n.Body));
    }

    [Fact]
    public async Task Byte_collector_with_pascal_case_json_and_arrays()
    {
        await _host.CallAsync(typeof(Functions), nameof(Functions.Bytes));
        var all = Assert.Single(_notifier.Calls).Notifications;
        Assert.Equal(["b", "first", "second", "plain bytes"], all.Select(n => n.Body));
        Assert.Equal("t", all[0].Title);
        Assert.Equal(["bob"], all[0].Targets);
    }

    [Fact]
    public async Task Attribute_fills_what_the_message_leaves_empty_and_resolves_settings()
    {
        await _host.CallAsync(typeof(Functions), nameof(Functions.AttributeDefaults));
        var all = Assert.Single(_notifier.Calls).Notifications;
        Assert.Equal("Alert from settings", all[0].Title);
        Assert.Equal(["ops"], all[0].Targets);
        Assert.Equal(NotifyFormat.Markdown, all[0].Format);
        Assert.Equal("own title", all[1].Title);
        Assert.Equal(["dave"], all[1].Targets);
        Assert.Equal(NotifyFormat.Text, all[1].Format);
        Assert.Equal("default body", all[2].Body);
    }

    [Fact]
    public async Task Connection_names_another_setting()
    {
        await _host.CallAsync(typeof(Functions), nameof(Functions.OtherConnection));
        Assert.Equal(["xmpp://other:pw@example.net/bob"], Assert.Single(_notifier.Calls).Urls);
    }

    [Fact]
    public async Task Nothing_added_means_no_delivery()
    {
        await _host.CallAsync(typeof(Functions), nameof(Functions.NothingAdded));
        Assert.Empty(_notifier.Calls);
    }

    [Fact]
    public async Task Unknown_format_in_a_message_fails_the_invocation()
    {
        var e = await Assert.ThrowsAsync<FunctionInvocationException>(() => _host.CallAsync(typeof(Functions), nameof(Functions.BadFormatMessage)));
        Assert.Contains("Unknown XMPP message format 'rtf'", Innermost(e).Message, StringComparison.Ordinal);
        Assert.Empty(_notifier.Calls);
    }

    [Fact]
    public async Task More_than_the_maximum_fails_the_invocation_and_sends_nothing()
    {
        var e = await Assert.ThrowsAsync<FunctionInvocationException>(() => _host.CallAsync(typeof(Functions), nameof(Functions.TooMany)));
        Assert.Contains("more than 100 XMPP messages", Innermost(e).Message, StringComparison.Ordinal);
        Assert.Empty(_notifier.Calls);
    }

    [Fact]
    public async Task Failed_delivery_fails_the_invocation_with_the_redacted_description()
    {
        _notifier.Outcome = _ => RecordingNotifier.Failed("xmpps://bot:****@example.org/alice", NotifyFailureKind.Connection, "connection refused");
        var e = await Assert.ThrowsAsync<FunctionInvocationException>(() => _host.CallAsync(typeof(Functions), nameof(Functions.ReturnMessage)));
        var delivery = Assert.IsType<XmppDeliveryException>(Innermost(e));
        Assert.Contains("xmpps://bot:****@example.org/alice: connection refused", delivery.Message, StringComparison.Ordinal);
        Assert.False(delivery.Result!.Success);
        Assert.Contains("connection refused", _host.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public void Host_default_collector_type_is_byte_array()
    {
#pragma warning disable CS0618 // Obsolete as "not ready for public consumption", yet it is what the Functions host asks.
        var metadata = _host.Host.Services.GetRequiredService<IJobHostMetadataProvider>();
        Assert.Equal(typeof(IAsyncCollector<byte[]>), metadata.GetDefaultType(new XmppAttribute(), FileAccess.Write, null));
#pragma warning restore CS0618
    }

    [Fact]
    public async Task The_host_default_type_through_a_runtime_binder_like_the_functions_host()
    {
        // The Functions host binds isolated-worker outputs this way: IBinder + the attribute, to its default type.
        await _host.CallAsync(typeof(Functions), nameof(Functions.RuntimeBinder));
        var all = Assert.Single(_notifier.Calls).Notifications;
        Assert.Equal(["worker poco", "w1", "w2", "worker string"], all.Select(n => n.Body));
        Assert.Equal("T", all[0].Title);
    }

    public static class Functions
    {
        [NoAutomaticTrigger]
        public static void OutMessage([Xmpp] out XmppMessage message) =>
            message = new XmppMessage { To = "bob, carol@example.org;#ops@conference.example.org", Title = "t", Body = "b", Format = "Markdown", Type = "headline" };

        [NoAutomaticTrigger]
        [return: Xmpp]
        public static XmppMessage ReturnMessage() => new() { Body = "returned" };

        [NoAutomaticTrigger]
        [return: Xmpp]
        public static string ReturnPlainText() => "disk {almost} full";

        [NoAutomaticTrigger]
        [return: Xmpp]
        public static string ReturnBrokenJson() => "{ not json";

        [NoAutomaticTrigger]
        [return: Xmpp]
        public static string ReturnJsonString() => """{"To":"bob","Title":"t","Body":"b","Format":"HTML"}""";

        [NoAutomaticTrigger]
        [return: Xmpp]
        public static string ReturnJsonArrayString() => """[{"body":"one"},{"BODY":"two"},{"Body":"three","to":["alice","bob"]}]""";

        [NoAutomaticTrigger]
        [return: Xmpp]
        public static JObject ReturnJObject() => new() { ["BODY"] = "from jobject", ["type"] = "normal" };

        [NoAutomaticTrigger]
        [return: Xmpp]
        public static XmppMessage[] ReturnArray() => [new() { Body = "a" }, new() { Body = "b" }];

        [NoAutomaticTrigger]
        public static void OutStrings([Xmpp] out string[] messages) => messages = ["x", "y", "z"];

        [NoAutomaticTrigger]
        public static async Task AsyncCollector([Xmpp] IAsyncCollector<XmppMessage> messages)
        {
            foreach (var body in new[] { "1", "2", "3" })
            {
                await messages.AddAsync(new XmppMessage { Body = body });
            }
        }

        [NoAutomaticTrigger]
        public static void Collector([Xmpp] ICollector<XmppMessage> messages) => messages.Add(new XmppMessage { Body = "sync" });

        [NoAutomaticTrigger]
        public static async Task Bytes([Xmpp] IAsyncCollector<byte[]> messages)
        {
            await messages.AddAsync(Encoding.UTF8.GetBytes("""{"To":"bob","Title":"t","Body":"b"}"""));
            await messages.AddAsync(Encoding.UTF8.GetBytes("""[{"Body":"first"},{"Body":"second"}]"""));
            await messages.AddAsync([.. Encoding.UTF8.Preamble, .. Encoding.UTF8.GetBytes("plain bytes")]);
        }

        [NoAutomaticTrigger]
        public static async Task AttributeDefaults(
            [Xmpp(To = "ops", Title = "%AlertTitle%", Body = "default body", Format = "markdown")] IAsyncCollector<XmppMessage> messages)
        {
            await messages.AddAsync(new XmppMessage { Body = "uses defaults" });
            await messages.AddAsync(new XmppMessage { Body = "own", Title = "own title", To = "dave", Format = "text" });
            await messages.AddAsync(new XmppMessage { Title = "only a title" });
        }

        [NoAutomaticTrigger]
        public static void OtherConnection([Xmpp(Connection = "OtherConnection")] out XmppMessage message) => message = new() { Body = "x" };

        [NoAutomaticTrigger]
        public static void NothingAdded([Xmpp] ICollector<XmppMessage> messages)
        {
            ArgumentNullException.ThrowIfNull(messages);
        }

        [NoAutomaticTrigger]
        public static void BadFormatMessage([Xmpp] out XmppMessage message) => message = new() { Body = "x", Format = "rtf" };

        [NoAutomaticTrigger]
        public static async Task TooMany([Xmpp] IAsyncCollector<XmppMessage> messages)
        {
            for (int i = 0; i < 101; i++)
            {
                await messages.AddAsync(new XmppMessage { Body = $"{i}" });
            }
        }

        [NoAutomaticTrigger]
        public static async Task RuntimeBinder(IBinder binder)
        {
            var collector = await binder.BindAsync<IAsyncCollector<byte[]>>(new XmppAttribute());
            // What the host produces from the worker's values: a POCO serialized PascalCase, a JSON array, a string.
            await collector.AddAsync(Encoding.UTF8.GetBytes("""{"To":null,"Title":"T","Body":"worker poco","Format":null,"Type":null}"""));
            await collector.AddAsync(Encoding.UTF8.GetBytes("""[{"Body":"w1"},{"Body":"w2"}]"""));
            await collector.AddAsync(Encoding.UTF8.GetBytes("worker string"));
        }
    }
}
