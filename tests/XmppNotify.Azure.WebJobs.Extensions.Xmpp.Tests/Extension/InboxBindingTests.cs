using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using Xmpp.Notifications;
using Xmpp.Notifications.Tests.Notifier;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp.Tests.Extension;

/// <summary>The <c>[XmppInbox]</c> input binding in a JobHost against a Prosody with mod_mam.</summary>
public sealed class InboxBindingTests(ArchiveFixture fixture) : IClassFixture<ArchiveFixture>
{
    [Fact]
    public async Task The_binding_returns_the_batch_since_the_checkpoint_as_objects_and_as_the_workers_json()
    {
        var url = fixture.Url("alice");
        var start = await fixture.Inbox().FetchAsync(url, null, null, default);
        var marker = Guid.NewGuid().ToString("N");
        var sent = await fixture.Notifier().NotifyAsync([fixture.Url("bob", "alice")], [new Notification(null, marker)], default);
        Assert.True(sent.Success, sent.Describe());

        await using var host = await JobHostRunner.StartAsync(
            typeof(Functions),
            new Dictionary<string, string?> { ["XmppConnection"] = url, ["InboxCheckpoint"] = start.Checkpoint },
            notifier: null,
            services: s => s.AddSingleton(new XmppNotifierOptions { ConfigureClient = o => o.TrustedRoots = [fixture.Server.CaCertificate] }));
        await host.CallAsync(typeof(Functions), nameof(Functions.Read));

        var item = Assert.Single(Functions.Batch!.Items);
        Assert.Equal((InboxItemKind.Message, marker), (item.Kind, item.Body));
        Assert.NotEqual(start.Checkpoint, Functions.Batch.Checkpoint);
        var json = JObject.Parse(Functions.Json!);
        Assert.Equal(marker, (string?)json["items"]![0]!["body"]);
        Assert.Equal(Functions.Batch.Checkpoint, (string?)json["checkpoint"]);
        Assert.DoesNotContain(fixture.Password("alice"), host.Logs.AllText, StringComparison.Ordinal);
    }

    public static class Functions
    {
        public static InboxBatch? Batch { get; private set; }

        public static string? Json { get; private set; }

        [Microsoft.Azure.WebJobs.NoAutomaticTrigger]
        public static void Read(
            [XmppInbox(Checkpoint = "%InboxCheckpoint%")] InboxBatch batch,
            [XmppInbox(Checkpoint = "%InboxCheckpoint%", MaxItems = 10)] string json)
        {
            Batch = batch;
            Json = json;
        }
    }
}
