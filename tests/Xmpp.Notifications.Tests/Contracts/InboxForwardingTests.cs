using Xmpp.Notifications.Contracts.Inbox;
using Xmpp.Notifications.Contracts.Requests;

namespace Xmpp.Notifications.Tests.Contracts;

/// <summary>Forwarding inbound items to a real loopback webhook (Kestrel) and when the checkpoint moves.</summary>
public sealed class InboxForwardingTests
{
    private const string Batch = """
        {"checkpoint":"xmpp-inbox/1 bot@example.org after A3","more":false,"source":"archive","items":[
          {"kind":"message","archiveId":"A2","id":"m1","from":"alice@example.org/phone","to":"bot@example.org","type":"chat","body":"disk full on db1 ✓","stanza":"<message from='alice@example.org/phone' to='bot@example.org' type='chat' id='m1'><body>disk full on db1 ✓</body></message>"},
          {"kind":"subscription-request","archiveId":null,"from":"carol@example.org","to":"bot@example.org","body":null,"stanza":"<presence from='carol@example.org' type='subscribe'/>"}
        ]}
        """;

    [Fact]
    public async Task Every_item_is_posted_as_multipart_form_fields_and_then_the_checkpoint_advances()
    {
        await using var hook = await LoopbackWebhook.StartAsync(_ => 200);
        using var http = new HttpClient();
        var store = new MemoryCheckpointStore("xmpp-inbox/1 bot@example.org after A1");
        string? askedWith = null;
        var forwarder = new InboxWebhookForwarder(http, hook.Uri);

        var result = await InboxForwarding.RunAsync(store, (c, _) => { askedWith = c; return Task.FromResult(Batch); }, forwarder.ForwardAsync, CancellationToken.None);

        Assert.Equal("xmpp-inbox/1 bot@example.org after A1", askedWith);
        Assert.Equal(2, hook.Posts.Count);
        var first = hook.Posts.ToArray()[0];
        Assert.StartsWith("multipart/form-data", first.ContentType);
        Assert.Equal("alice@example.org/phone", first.Fields["from"]);
        Assert.Equal("bot@example.org", first.Fields["to"]);
        Assert.Equal("disk full on db1 ✓", first.Fields["body"]);
        Assert.Contains("<body>disk full on db1 ✓</body>", first.Fields["stanza"]);
        Assert.Equal("A2", first.Fields["archiveId"]);
        var second = hook.Posts.ToArray()[1];
        Assert.Equal("subscription-request", second.Fields["kind"]);
        Assert.Equal("carol@example.org", second.Fields["from"]);
        Assert.Equal("", second.Fields["body"]);
        Assert.Equal("xmpp-inbox/1 bot@example.org after A3", store.Value);
        Assert.True(result.CheckpointAdvanced);
        Assert.Equal(2, result.Forwarded);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(404)]
    [InlineData(302)]
    public async Task A_webhook_that_refuses_an_item_fails_the_run_and_leaves_the_checkpoint(int status)
    {
        var calls = 0;
        await using var hook = await LoopbackWebhook.StartAsync(_ => Interlocked.Increment(ref calls) == 2 ? status : 200);
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var store = new MemoryCheckpointStore("xmpp-inbox/1 bot@example.org after A1");
        var forwarder = new InboxWebhookForwarder(http, new Uri(hook.Uri, "?code=s3cret-key"));

        var e = await Assert.ThrowsAsync<InboxForwardException>(() =>
            InboxForwarding.RunAsync(store, (_, _) => Task.FromResult(Batch), forwarder.ForwardAsync, CancellationToken.None));

        Assert.Equal(1, e.ItemIndex);
        Assert.Equal(status, e.StatusCode);
        Assert.DoesNotContain("s3cret-key", e.Message);
        Assert.Equal(2, hook.Posts.Count);
        Assert.Equal("xmpp-inbox/1 bot@example.org after A1", store.Value);
        Assert.Equal(0, store.Writes);
    }

    [Fact]
    public async Task A_webhook_that_does_not_answer_in_time_fails_the_run_and_leaves_the_checkpoint()
    {
        await using var hook = await LoopbackWebhook.StartAsync(_ => 200, delay: TimeSpan.FromSeconds(10));
        using var http = new HttpClient();
        var store = new MemoryCheckpointStore(null);
        var forwarder = new InboxWebhookForwarder(http, hook.Uri, TimeSpan.FromMilliseconds(300));

        var e = await Assert.ThrowsAsync<InboxForwardException>(() =>
            InboxForwarding.RunAsync(store, (_, _) => Task.FromResult(Batch), forwarder.ForwardAsync, CancellationToken.None));

        Assert.Equal(0, e.ItemIndex);
        Assert.Null(e.StatusCode);
        Assert.Contains("did not answer", e.Message);
        Assert.Null(store.Value);
        Assert.Equal(0, store.Writes);
    }

    [Fact]
    public async Task An_unreachable_webhook_fails_the_run_and_leaves_the_checkpoint()
    {
        using var http = new HttpClient();
        var store = new MemoryCheckpointStore("cp");
        // Port 1 on loopback: nothing listens there, so the connection is refused.
        var forwarder = new InboxWebhookForwarder(http, new Uri("http://127.0.0.1:1/hook"), TimeSpan.FromSeconds(5));

        var e = await Assert.ThrowsAsync<InboxForwardException>(() =>
            InboxForwarding.RunAsync(store, (_, _) => Task.FromResult(Batch), forwarder.ForwardAsync, CancellationToken.None));

        Assert.Null(e.StatusCode);
        Assert.Equal("cp", store.Value);
    }

    [Fact]
    public async Task An_empty_batch_posts_nothing_and_keeps_a_checkpoint_that_did_not_move()
    {
        await using var hook = await LoopbackWebhook.StartAsync(_ => 200);
        using var http = new HttpClient();
        var store = new MemoryCheckpointStore("cp");
        var forwarder = new InboxWebhookForwarder(http, hook.Uri);

        var result = await InboxForwarding.RunAsync(store, (_, _) => Task.FromResult("""{"checkpoint":"cp","items":[]}"""), forwarder.ForwardAsync, CancellationToken.None);

        Assert.Empty(hook.Posts);
        Assert.False(result.CheckpointAdvanced);
        Assert.Equal(0, store.Writes);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("""{"items":{}}""")]
    [InlineData("""{"items":[1]}""")]
    public void A_batch_that_is_not_the_bindings_shape_is_a_format_error(string json) =>
        Assert.Throws<NotificationFormatException>(() => InboxBatchJson.Parse(json));

    [Fact]
    public void Only_absolute_http_webhooks_are_accepted()
    {
        using var http = new HttpClient();
        Assert.Throws<ArgumentException>(() => new InboxWebhookForwarder(http, new Uri("ftp://example.org/x")));
        Assert.Throws<ArgumentException>(() => new InboxWebhookForwarder(http, new Uri("/relative", UriKind.Relative)));
    }

    private sealed class MemoryCheckpointStore(string? initial) : IInboxCheckpointStore
    {
        public string? Value { get; private set; } = initial;

        public int Writes { get; private set; }

        public Task<string?> ReadAsync(CancellationToken cancellationToken) => Task.FromResult(Value);

        public Task WriteAsync(string checkpoint, CancellationToken cancellationToken)
        {
            Value = checkpoint;
            Writes++;
            return Task.CompletedTask;
        }
    }
}
