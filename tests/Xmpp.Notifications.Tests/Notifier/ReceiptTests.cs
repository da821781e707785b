using Xmpp.Notifications.Apprise;

namespace Xmpp.Notifications.Tests.Notifier;

/// <summary>
/// XEP-0184 receipts against a real Prosody: recipients are slixmpp sessions, one with slixmpp's receipts plugin
/// answering, one that never answers, and a contact that is offline (known from presence, and unknown).
/// </summary>
public sealed class ReceiptTests(TwoWayFixture server) : IClassFixture<TwoWayFixture>
{
    private static string Unique(string text) => $"{text} {Guid.NewGuid():N}";

    [Fact]
    public async Task Receipts_require_reports_the_client_that_confirmed()
    {
        await using var bob = await server.PeerAsync("bob", receipts: true);
        var body = Unique("confirm me");

        var result = await server.Notifier().NotifyAsync([server.Url("alice", "bob", "receipts=require&rto=10")], [new Notification(null, body)], default);

        Assert.True(result.Success, result.Describe());
        var target = Assert.Single(result.Urls[0].Targets);
        Assert.Equal(TargetStatus.Delivered, target.Status);
        Assert.Equal(ReceiptStatus.Received, target.Receipt);
        Assert.Equal(bob.BoundJid, target.ReceivedBy);
        await bob.WaitForMessageAsync(m => m.Body == body, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_client_that_never_confirms_fails_under_require_and_is_reported_under_wait()
    {
        await using var carol = await server.PeerAsync("carol", receipts: false);
        var waited = Unique("wait");
        var required = Unique("require");

        var wait = await server.Notifier().NotifyAsync([server.Url("alice", "carol", "receipts=wait&rto=1")], [new Notification(null, waited)], default);
        var require = await server.Notifier().NotifyAsync([server.Url("alice", "carol", "receipts=yes&rto=1")], [new Notification(null, required)], default);

        Assert.True(wait.Success, wait.Describe());
        var w = Assert.Single(wait.Urls[0].Targets);
        Assert.Equal((TargetStatus.Delivered, ReceiptStatus.Missing), (w.Status, w.Receipt));
        Assert.False(require.Success);
        var r = Assert.Single(require.Urls[0].Targets);
        Assert.Equal((TargetStatus.Failed, NotifyFailureKind.NoReceipt, ReceiptStatus.Missing), (r.Status, r.Failure, r.Receipt));
        Assert.Contains("receipts=require", r.Error, StringComparison.Ordinal);
        // The server took both: the client has them, it only never confirmed.
        await carol.WaitForMessageAsync(m => m.Body == waited, TimeSpan.FromSeconds(10));
        await carol.WaitForMessageAsync(m => m.Body == required, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Rooms_are_delivered_without_a_receipt_and_say_so()
    {
        var room = $"ops-{Guid.NewGuid():N}@conference.{server.Domain}";
        await using var listener = await server.IndependentReceiverAsync("frank", [room], "frank");
        var body = Unique("room");
        var result = await server.Notifier().NotifyAsync([server.Url("alice", "%23" + room, "receipts=require")], [new Notification(null, body)], default);
        Assert.True(result.Success, result.Describe());
        Assert.Equal(ReceiptStatus.NotApplicable, Assert.Single(result.Urls[0].Targets).Receipt);
        await listener.WaitForMessageAsync(m => m.Body == body, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task An_offline_subscribed_contact_is_known_offline_and_the_offline_policy_applies()
    {
        // alice invites dave while dave is online; slixmpp approves (its default), so alice sees dave's presence.
        var url = server.Url("alice", "dave");
        await using (var dave = await server.PeerAsync("dave", receipts: true))
        {
            var invite = await server.Contacts().InviteAsync(url, null, default);
            Assert.True(invite.Success, invite.Error);
            Assert.Contains(invite.Contacts, c => c.Contact == $"dave@{server.Domain}" && c.Status is InviteStatus.Requested or InviteStatus.AlreadySubscribed);
            await dave.WaitForEventAsync(e => e.GetProperty("event").GetString() == "presence" && e.GetProperty("type").GetString() == "subscribe", TimeSpan.FromSeconds(10));
            var online = await PresenceUntilAsync(url, ContactAvailability.Available);
            Assert.Contains(online.Resources, r => dave.BoundJid!.EndsWith("/" + r.Resource, StringComparison.Ordinal));
            Assert.Equal("online", online.Resources[0].Show);
        }
        await PresenceUntilAsync(url, ContactAvailability.Offline);

        var stored = Unique("stored for later");
        var require = await server.Notifier().NotifyAsync([server.Url("alice", "dave", "receipts=require&rto=20")], [new Notification(null, stored)], default);
        var r = Assert.Single(require.Urls[0].Targets);
        Assert.Equal((TargetStatus.Failed, NotifyFailureKind.NoReceipt, ReceiptStatus.RecipientOffline), (r.Status, r.Failure, r.Receipt));
        Assert.Contains("offline", r.Error, StringComparison.Ordinal);

        var skipped = Unique("skipped");
        var skip = await server.Notifier().NotifyAsync([server.Url("alice", "dave", "offline=skip")], [new Notification(null, skipped)], default);
        Assert.True(skip.Success, skip.Describe());
        Assert.Equal(TargetStatus.Skipped, Assert.Single(skip.Urls[0].Targets).Status);

        var fail = await server.Notifier().NotifyAsync([server.Url("alice", "dave", "offline=fail")], [new Notification(null, Unique("failed"))], default);
        Assert.False(fail.Success);
        Assert.Equal(NotifyFailureKind.Offline, Assert.Single(fail.Urls[0].Targets).Failure);

        // The server stored the first message: dave gets it, delayed, when he is back; the skipped one never went out.
        await using var back = await server.PeerAsync("dave", receipts: false);
        var later = await back.WaitForMessageAsync(m => m.Body == stored, TimeSpan.FromSeconds(10));
        Assert.True(later.Delayed);
        Assert.DoesNotContain(back.Received, m => m.Body == skipped);
    }

    [Fact]
    public async Task An_offline_contact_without_shared_presence_is_reported_missing_not_offline()
    {
        var body = Unique("to erin");
        var result = await server.Notifier().NotifyAsync([server.Url("alice", "erin", "receipts=wait&rto=1&offline=skip")], [new Notification(null, body)], default);
        Assert.True(result.Success, result.Describe());
        var target = Assert.Single(result.Urls[0].Targets);
        // Unknown availability is not offline: offline=skip does not apply, and the receipt is merely missing.
        Assert.Equal((TargetStatus.Delivered, ReceiptStatus.Missing), (target.Status, target.Receipt));
        var presence = await server.Contacts().GetPresenceAsync(server.Url("alice", "erin"), null, default);
        Assert.Equal(ContactAvailability.Unknown, Assert.Single(presence.Contacts).State);
        await using var erin = await server.PeerAsync("erin", receipts: false);
        Assert.True((await erin.WaitForMessageAsync(m => m.Body == body, TimeSpan.FromSeconds(10))).Delayed);
    }

    private async Task<ContactAvailability> PresenceUntilAsync(string url, string state)
    {
        ContactAvailability? last = null;
        for (var i = 0; i < 50; i++)
        {
            var result = await server.Contacts().GetPresenceAsync(url, null, default);
            Assert.True(result.Success, result.Error);
            last = Assert.Single(result.Contacts);
            if (last.State == state)
                return last;
            await Task.Delay(200);
        }
        throw new Xunit.Sdk.XunitException($"dave's presence never became {state}; last: {last}");
    }
}
