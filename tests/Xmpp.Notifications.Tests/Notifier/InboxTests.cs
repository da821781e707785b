namespace Xmpp.Notifications.Tests.Notifier;

/// <summary>Inbound messages since a checkpoint from Prosody's archive (mod_mam): paging, bounds and checkpoints.</summary>
public sealed class InboxTests(ArchiveFixture server) : IClassFixture<ArchiveFixture>
{
    private async Task SendAsync(string from, string to, params string[] bodies)
    {
        var result = await server.Notifier().NotifyAsync([server.Url(from, to)], bodies.Select(b => new Notification(null, b)).ToList(), default);
        Assert.True(result.Success, result.Describe());
    }

    [Fact]
    public async Task Without_a_checkpoint_it_starts_from_now_then_pages_through_what_arrived()
    {
        var url = server.Url("alice");
        var start = await server.Inbox().FetchAsync(url, null, null, default);
        Assert.True(start.Success, start.Error);
        Assert.DoesNotContain(start.Items, i => i.Kind == InboxItemKind.Message);
        Assert.NotNull(start.Checkpoint);

        var marker = Guid.NewGuid().ToString("N");
        var bodies = Enumerable.Range(1, 5).Select(i => $"{marker} #{i}").ToArray();
        await SendAsync("bob", "alice", bodies);

        var first = await server.Inbox().FetchAsync(url, start.Checkpoint, new InboxOptions { MaxItems = 3 }, default);
        Assert.True(first.Success, first.Error);
        Assert.Equal(XmppInbox.ArchiveSource, first.Source);
        Assert.Equal(bodies[..3], first.Items.Select(i => i.Body));
        Assert.True(first.More);
        var item = first.Items[0];
        Assert.Equal(InboxItemKind.Message, item.Kind);
        Assert.StartsWith($"bob@{server.Domain}", item.From, StringComparison.Ordinal);
        Assert.StartsWith($"alice@{server.Domain}", item.To, StringComparison.Ordinal);
        Assert.Equal("chat", item.Type);
        Assert.NotNull(item.ArchiveId);
        Assert.NotNull(item.Timestamp);
        Assert.Contains(bodies[0], item.Stanza, StringComparison.Ordinal);

        // The same checkpoint again gives the same items (at-least-once until the caller advances it).
        var replay = await server.Inbox().FetchAsync(url, start.Checkpoint, new InboxOptions { MaxItems = 3 }, default);
        Assert.Equal(first.Items.Select(i => i.ArchiveId), replay.Items.Select(i => i.ArchiveId));

        var second = await server.Inbox().FetchAsync(url, first.Checkpoint, new InboxOptions { MaxItems = 3 }, default);
        Assert.Equal(bodies[3..], second.Items.Select(i => i.Body));
        var third = await server.Inbox().FetchAsync(url, second.Checkpoint, null, default);
        Assert.Empty(third.Items);
        Assert.False(third.More);
    }

    [Fact]
    public async Task A_given_start_time_reads_what_arrived_since()
    {
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        var marker = Guid.NewGuid().ToString("N");
        await SendAsync("carol", "bob", marker);
        var batch = await server.Inbox().FetchAsync(server.Url("bob"), null, new InboxOptions { Since = since }, default);
        Assert.Contains(batch.Items, i => i.Body == marker);
    }

    [Fact]
    public async Task Oversize_stanzas_come_without_the_stanza_and_with_the_body_cut()
    {
        var checkpoint = (await server.Inbox().FetchAsync(server.Url("carol"), null, null, default)).Checkpoint;
        var body = new string('x', 5000);
        await SendAsync("alice", "carol", body);
        var batch = await server.Inbox().FetchAsync(server.Url("carol"), checkpoint, new InboxOptions { MaxStanzaChars = 1000 }, default);
        var item = Assert.Single(batch.Items);
        Assert.True(item.Truncated);
        Assert.Null(item.Stanza);
        Assert.Equal(1000, item.Body!.Length);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("xmpp-inbox/1 mallory@example.org after YWJj")]
    [InlineData("xmpp-inbox/1 alice@localhost after !!!")]
    [InlineData("xmpp-inbox/1 alice@localhost after bm8tc3VjaC1pZA==")]
    public async Task Corrupt_foreign_or_unknown_checkpoints_are_clear_errors(string checkpoint)
    {
        var e = await Assert.ThrowsAsync<InboxCheckpointException>(() => server.Inbox().FetchAsync(server.Url("alice"), checkpoint, null, default));
        Assert.Contains("nothing was read", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pending_subscription_requests_are_items_of_their_own_kind()
    {
        await using var dave = await server.IndependentReceiverAsync("carol");
        var contacts = new XmppContacts(options: new XmppNotifierOptions { ConfigureClient = o => o.TrustedRoots = [server.Server.CaCertificate] });
        Assert.True((await contacts.InviteAsync(server.Url("carol", "bob"), null, default)).Success);
        var batch = await server.Inbox().FetchAsync(server.Url("bob"), null, null, default);
        var request = Assert.Single(batch.Items, i => i.Kind == InboxItemKind.SubscriptionRequest);
        Assert.Equal($"carol@{server.Domain}", request.From);
    }
}

/// <summary>Without an archive, the inbox reads offline storage once.</summary>
public sealed class OfflineInboxTests(NotifierFixture server) : IClassFixture<NotifierFixture>
{
    [Fact]
    public async Task Offline_storage_is_handed_over_once()
    {
        var marker = Guid.NewGuid().ToString("N");
        var sent = await server.Notifier().NotifyAsync([server.Url("bob", "carol")], [new Notification(null, marker)], default);
        Assert.True(sent.Success, sent.Describe());
        var batch = await server.Inbox().FetchAsync(server.Url("carol"), null, null, default);
        Assert.True(batch.Success, batch.Error);
        Assert.Equal(XmppInbox.OfflineSource, batch.Source);
        var item = Assert.Single(batch.Items, i => i.Body == marker);
        Assert.NotNull(item.Timestamp);
        var again = await server.Inbox().FetchAsync(server.Url("carol"), batch.Checkpoint, null, default);
        Assert.DoesNotContain(again.Items, i => i.Body == marker);
    }
}
