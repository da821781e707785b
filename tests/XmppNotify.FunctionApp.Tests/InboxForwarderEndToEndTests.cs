using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Xmpp.Client;
using Xmpp.Notifications;
using Xmpp.Notifications.Tests.Contracts;
using Xmpp.Notifications.Tests.Notifier;
using XmppNotify.FunctionApp.Tests.HostProtocol;
using XmppNotify.FunctionApp.Tests.HostProtocol.Rpc;
using HarnessStatus = XmppNotify.FunctionApp.Tests.HostProtocol.Rpc.StatusResult.Types.Status;

namespace XmppNotify.FunctionApp.Tests;

/// <summary>
/// The inbox forwarder of the built app with every real part joined: a worker process whose timer ticks come through
/// the host protocol, Prosody's archive (mod_mam) holding what another account sent, the checkpoint blob and the queue
/// on Azurite, and a loopback webhook.
/// </summary>
[Collection(InboxForwarderDefinition.Name)]
public sealed class InboxForwarderEndToEndTests(InboxForwarderFixture app)
{
    [Fact]
    public void The_schedule_setting_reaches_the_host_through_the_worker_index()
    {
        var trigger = app.Host.Functions["InboxForwarder"].Trigger;
        Assert.Equal("timerTrigger", (string?)trigger["type"]);
        Assert.Equal(InboxForwarderFixture.Schedule, (string?)trigger["schedule"]);
    }

    [Fact]
    public async Task Items_reach_webhook_and_queue_once_the_checkpoint_blob_advances_and_a_refused_item_keeps_it_back()
    {
        await app.ResetAsync();

        // Before the first run: not forwarded, because a missing checkpoint starts from now.
        var before = Marker("before");
        await app.SendAsync("bob", before);

        var first = await app.TickAsync();
        Assert.True(first.Result.Status == HarnessStatus.Success, first.Result.Exception?.Message);
        var (checkpoint, etag) = await app.CheckpointAsync();
        Assert.StartsWith($"xmpp-inbox/1 alice@{app.Xmpp.Domain} after ", checkpoint, StringComparison.Ordinal);
        Assert.Empty(app.Webhook.Posts);
        Assert.Empty(await app.DrainQueueAsync());

        string[] bodies = [Marker("one"), Marker("two ✓"), Marker("three")];
        await app.SendAsync("bob", bodies[..2]);
        await app.SendAsync("carol", bodies[2]);

        var second = await app.TickAsync();
        Assert.True(second.Result.Status == HarnessStatus.Success, second.Result.Exception?.Message);
        var posts = app.Webhook.Take();
        Assert.Equal(bodies, posts.Select(p => p["body"]));
        Assert.All(posts, p => Assert.StartsWith($"alice@{app.Xmpp.Domain}", p["to"], StringComparison.Ordinal));
        Assert.StartsWith($"bob@{app.Xmpp.Domain}", posts[0]["from"], StringComparison.Ordinal);
        Assert.StartsWith($"carol@{app.Xmpp.Domain}", posts[2]["from"], StringComparison.Ordinal);
        Assert.Contains($"<body>{bodies[1]}</body>", posts[1]["stanza"], StringComparison.Ordinal);
        Assert.All(posts, p => Assert.Equal("message", p["kind"]));
        var queued = await app.DrainQueueAsync();
        Assert.Equal(bodies, queued.Select(q => q.GetProperty("body").GetString()));
        Assert.Equal(posts.Select(p => p["archiveId"]), queued.Select(q => q.GetProperty("archiveId").GetString()));
        Assert.All(queued, q => Assert.Equal("chat", q.GetProperty("type").GetString()));
        Assert.All(queued, q => Assert.False(q.GetProperty("truncated").GetBoolean()));
        var (advanced, advancedEtag) = await app.CheckpointAsync();
        Assert.NotEqual(checkpoint, advanced);
        Assert.NotEqual(etag, advancedEtag);
        Assert.DoesNotContain(posts, p => p["body"] == before);

        // Nothing new: nothing forwarded, the blob not rewritten.
        var third = await app.TickAsync();
        Assert.True(third.Result.Status == HarnessStatus.Success, third.Result.Exception?.Message);
        Assert.Empty(app.Webhook.Take());
        Assert.Empty(await app.DrainQueueAsync());
        Assert.Equal((advanced, advancedEtag), await app.CheckpointAsync());

        // The webhook refuses the second of two new items: the run fails, no queue message, the checkpoint stays.
        string[] later = [Marker("four"), Marker("five")];
        await app.SendAsync("bob", later);
        app.Webhook.Status = p => p.Number == 2 ? 503 : 200;
        var refused = await app.TickAsync();
        Assert.Equal(HarnessStatus.Failure, refused.Result.Status);
        Assert.Contains("503", refused.Result.Exception?.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(InboxForwarderFixture.WebhookKey, refused.Result.Exception?.ToString() ?? "", StringComparison.Ordinal);
        Assert.Equal(later, app.Webhook.Take().Select(p => p["body"]));
        Assert.Empty(await app.DrainQueueAsync());
        Assert.Equal((advanced, advancedEtag), await app.CheckpointAsync());

        // Taken again: both items come again (at-least-once), reach the queue, and the checkpoint moves.
        app.Webhook.Status = _ => 200;
        var retried = await app.TickAsync();
        Assert.True(retried.Result.Status == HarnessStatus.Success, retried.Result.Exception?.Message);
        Assert.Equal(later, app.Webhook.Take().Select(p => p["body"]));
        Assert.Equal(later, (await app.DrainQueueAsync()).Select(q => q.GetProperty("body").GetString()));
        var (last, _) = await app.CheckpointAsync();
        Assert.NotEqual(advanced, last);

        var idle = await app.TickAsync();
        Assert.True(idle.Result.Status == HarnessStatus.Success, idle.Result.Exception?.Message);
        Assert.Empty(app.Webhook.Take());
        Assert.Empty(await app.DrainQueueAsync());
    }

    [Fact]
    public async Task A_run_that_overlapped_another_does_not_overwrite_the_checkpoint_that_run_stored()
    {
        await app.ResetAsync();
        var start = await app.TickAsync();
        Assert.True(start.Result.Status == HarnessStatus.Success, start.Result.Exception?.Message);
        var (checkpoint, _) = await app.CheckpointAsync();
        var body = $"overlap {Guid.NewGuid():N}";
        await app.SendAsync("bob", body);

        // While this run posts, another one stores its checkpoint (here: the same text, as a new blob version).
        app.Webhook.OnPost = async _ => await app.WriteCheckpointAsync(checkpoint);
        var overlapped = await app.TickAsync();
        app.Webhook.OnPost = null;
        Assert.Equal(HarnessStatus.Failure, overlapped.Result.Status);
        Assert.Contains("changed by another run", overlapped.Result.Exception?.Message, StringComparison.Ordinal);
        Assert.Equal(checkpoint, (await app.CheckpointAsync()).Checkpoint);
        Assert.Equal([body], app.Webhook.Take().Select(p => p["body"]));
        Assert.Equal([body], (await app.DrainQueueAsync()).Select(q => q.GetProperty("body").GetString()));

        // The next run hands the item over again and stores its checkpoint.
        var next = await app.TickAsync();
        Assert.True(next.Result.Status == HarnessStatus.Success, next.Result.Exception?.Message);
        Assert.Equal([body], app.Webhook.Take().Select(p => p["body"]));
        Assert.Single(await app.DrainQueueAsync());
        Assert.NotEqual(checkpoint, (await app.CheckpointAsync()).Checkpoint);
    }

    [Fact]
    public async Task An_item_too_large_for_a_queue_message_goes_without_its_stanza_and_with_its_body_cut()
    {
        await app.ResetAsync();
        var start = await app.TickAsync();
        Assert.True(start.Result.Status == HarnessStatus.Success, start.Result.Exception?.Message);
        // ASCII, and characters of 4 UTF-8 bytes (surrogate pairs in .NET strings) that a cut must not split.
        string[] bodies = [Marker("large") + new string('x', 60_000), Marker("emoji") + string.Concat(Enumerable.Repeat("😀", 20_001))];
        await app.SendAsync("bob", bodies);

        var run = await app.TickAsync();
        Assert.True(run.Result.Status == HarnessStatus.Success, run.Result.Exception?.Message);
        Assert.Equal(bodies, app.Webhook.Take().Select(p => p["body"]));
        var queued = await app.DrainQueueAsync();
        Assert.Equal(2, queued.Count);
        foreach (var (message, body) in queued.Zip(bodies))
        {
            Assert.True(message.GetProperty("truncated").GetBoolean());
            Assert.Equal(JsonValueKind.Null, message.GetProperty("stanza").ValueKind);
            // As much of the body as fits: the message is just under the 48 KiB of JSON a queue message can hold.
            Assert.InRange(System.Text.Encoding.UTF8.GetByteCount(message.GetRawText()), 47 * 1024, 48 * 1024);
            var cut = message.GetProperty("body").GetString()!;
            Assert.StartsWith(cut, body, StringComparison.Ordinal);
            Assert.False(char.IsHighSurrogate(cut[^1]), "a character was cut in half");
        }
    }

    [Fact]
    public async Task An_item_whose_subject_alone_is_too_large_for_a_queue_message_goes_with_its_subject_cut()
    {
        await app.ResetAsync();
        var start = await app.TickAsync();
        Assert.True(start.Result.Status == HarnessStatus.Success, start.Result.Exception?.Message);
        // Any sender can fill the subject; an item that never fits a queue message would fail every run after it.
        var body = Marker("subject");
        var subject = Marker("huge") + new string('s', 60_000);
        var sender = await app.Xmpp.ReceiverAsync("bob");
        await sender.SendMessageAsync(new OutgoingMessage(Jid.Parse($"alice@{app.Xmpp.Domain}"), body) { Subject = subject });
        Assert.True((await sender.WaitForDeliveryAsync()).AllDelivered);
        await sender.DisconnectAsync();

        var run = await app.TickAsync();
        Assert.True(run.Result.Status == HarnessStatus.Success, run.Result.Exception?.Message);
        Assert.Equal([body], app.Webhook.Take().Select(p => p["body"]));
        var message = Assert.Single(await app.DrainQueueAsync());
        Assert.True(message.GetProperty("truncated").GetBoolean());
        Assert.Equal("", message.GetProperty("body").GetString());
        Assert.InRange(System.Text.Encoding.UTF8.GetByteCount(message.GetRawText()), 47 * 1024, 48 * 1024);
        Assert.StartsWith(message.GetProperty("subject").GetString()!, subject, StringComparison.Ordinal);
        var next = await app.TickAsync();
        Assert.True(next.Result.Status == HarnessStatus.Success, next.Result.Exception?.Message);
        Assert.Empty(await app.DrainQueueAsync());
    }

    private static string Marker(string text) => $"{text} {Guid.NewGuid():N}";
}

/// <summary>
/// Prosody with mod_mam, Azurite, a webhook, and a worker of the built app whose inbox settings point at them; the
/// worker trusts the test CA through SSL_CERT_FILE, as a container image would with its own CA bundle.
/// </summary>
public sealed class InboxForwarderFixture : IAsyncLifetime
{
    public const string Schedule = "*/30 * * * * *";
    public const string QueueName = "xmpp-inbox-items";
    public const string Container = "xmpp-inbox-e2e";
    public const string WebhookKey = "k3y-in-the-query";

    private FunctionsHostHarness? _host;
    private AzuriteServer? _azurite;

    public ArchiveFixture Xmpp { get; } = new();

    public FunctionsHostHarness Host => _host ?? throw new InvalidOperationException("not started");

    public AzuriteServer Azurite => _azurite ?? throw new InvalidOperationException("not started");

    public LoopbackWebhook Webhook { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var appDirectory = FunctionAppOutput.Require();
        await Xmpp.InitializeAsync();
        _azurite = await AzuriteServer.StartAsync();
        Webhook = await LoopbackWebhook.StartAsync();
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["AzureWebJobsStorage"] = Azurite.ConnectionString,
            ["XmppConnection"] = Xmpp.Url("alice", "bob"),
            ["XmppInboxConnection"] = Xmpp.Url("alice"),
            ["XmppInboxSchedule"] = Schedule,
            ["XmppInboxWebhookUrl"] = new Uri(Webhook.Uri, "?code=" + WebhookKey).AbsoluteUri,
            ["XmppInboxWebhookTimeoutSeconds"] = "10",
            ["XmppInboxQueueName"] = QueueName,
            // The queue falls back to the queue consumer's connection.
            ["XmppStorageQueueConnection"] = Azurite.ConnectionString,
            ["XmppInboxCheckpointConnection"] = Azurite.ConnectionString,
            ["XmppInboxCheckpointContainer"] = Container,
            ["SSL_CERT_FILE"] = Xmpp.Server.CaCertificatePemPath,
        };
        _host = await FunctionsHostHarness.StartAsync(appDirectory, settings.AsReadOnly());
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
            await _host.DisposeAsync();
        if (Webhook is not null)
            await Webhook.DisposeAsync();
        if (_azurite is not null)
            await _azurite.DisposeAsync();
        await Xmpp.DisposeAsync();
    }

    /// <summary>Sends as another account; returns once the server acknowledged (so the archive holds them).</summary>
    public async Task SendAsync(string from, params string[] bodies)
    {
        var result = await Xmpp.Notifier().NotifyAsync([Xmpp.Url(from, "alice")], bodies.Select(b => new Notification(null, b)).ToList(), default);
        Assert.True(result.Success, result.Describe());
    }

    /// <summary>One timer tick, as the host's timer listener sends it.</summary>
    public Task<InvocationResponse> TickAsync() =>
        Host.InvokeAsync("InboxForwarder", [new ParameterBinding
        {
            Name = "timer",
            Data = new TypedData { Json = """{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null,"IsPastDue":false}""" },
        }]);

    public async Task<(string Checkpoint, string ETag)> CheckpointAsync()
    {
        var blob = new BlobContainerClient(Azurite.ConnectionString, Container).GetBlobClient("checkpoint");
        var content = await blob.DownloadContentAsync();
        return (content.Value.Content.ToString(), content.Value.Details.ETag.ToString());
    }

    /// <summary>No checkpoint blob, an empty queue, no posts recorded: the state of a new deployment.</summary>
    public async Task ResetAsync()
    {
        await new BlobContainerClient(Azurite.ConnectionString, Container).GetBlobClient("checkpoint").DeleteIfExistsAsync();
        await DrainQueueAsync();
        Webhook.Status = _ => 200;
        Webhook.OnPost = null;
        Webhook.Take();
    }

    public async Task WriteCheckpointAsync(string checkpoint) =>
        await new BlobContainerClient(Azurite.ConnectionString, Container).GetBlobClient("checkpoint").UploadAsync(BinaryData.FromString(checkpoint), overwrite: true);

    /// <summary>Every message on the queue, in order, removed; none when the queue does not exist yet.</summary>
    public async Task<IReadOnlyList<JsonElement>> DrainQueueAsync()
    {
        var queue = new QueueClient(Azurite.ConnectionString, QueueName, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        if (!await queue.ExistsAsync())
            return [];
        var messages = new List<JsonElement>();
        while (true)
        {
            var batch = (await queue.ReceiveMessagesAsync(32)).Value;
            if (batch.Length == 0)
                return messages;
            foreach (var message in batch)
            {
                messages.Add(JsonDocument.Parse(message.Body.ToString()).RootElement.Clone());
                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
            }
        }
    }
}

[CollectionDefinition(Name)]
public sealed class InboxForwarderDefinition : ICollectionFixture<InboxForwarderFixture>
{
    public const string Name = "Inbox forwarder with Prosody, Azurite and a webhook";
}
