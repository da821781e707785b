namespace Xmpp.Client.Tests.Session;

/// <summary>
/// The bookkeeping behind "delivered": what an acknowledgement, a reflection or a bounce does to each sent message,
/// including the server mistakes a mutation run showed no test pinned down.
/// </summary>
public sealed class DeliveryTrackerTests
{
    private static readonly Jid Bob = Jid.Parse("bob@example.org");
    private static readonly Jid Room = Jid.Parse("ops@conference.example.org");
    private static readonly StanzaError NotFound = new("cancel", "item-not-found", null);

    private static DeliveryTracker Tracker(params SentMessage[] sent)
    {
        var tracker = new DeliveryTracker();
        tracker.EnableStreamManagement();
        foreach (var message in sent)
            tracker.OnStanzaSent(message);
        return tracker;
    }

    [Fact]
    public void An_ack_covers_exactly_the_stanzas_up_to_its_count()
    {
        var tracker = Tracker(new SentMessage("m1", Bob, false), new SentMessage("m2", Bob, false), new SentMessage("m3", Bob, false));

        tracker.OnAck(2);

        var report = tracker.Report();
        Assert.Equal(["m1", "m2"], report.Acknowledged);
        Assert.Equal(["m3"], report.Unacknowledged);
    }

    [Fact]
    public void An_ack_above_what_was_sent_credits_nothing_unsent_and_later_acks_still_count()
    {
        var tracker = Tracker(new SentMessage("m1", Bob, false));

        tracker.OnAck(5); // a broken server: clamped to the one stanza sent
        tracker.OnStanzaSent(new SentMessage("m2", Bob, false));
        Assert.Equal(["m2"], tracker.Report().Unacknowledged);

        tracker.OnAck(2);
        Assert.Equal(["m1", "m2"], tracker.Report().Acknowledged);
    }

    [Fact]
    public void A_stale_ack_changes_nothing()
    {
        var tracker = Tracker(new SentMessage("m1", Bob, false), new SentMessage("m2", Bob, false), new SentMessage("m3", Bob, false));
        tracker.OnAck(2);

        tracker.OnAck(1);
        tracker.OnAck(2);

        Assert.Equal(["m3"], tracker.Report().Unacknowledged);
    }

    [Fact]
    public async Task The_ack_waiter_completes_only_when_everything_sent_so_far_is_acknowledged()
    {
        var tracker = Tracker(new SentMessage("m1", Bob, false), new SentMessage("m2", Bob, false));
        var (target, acknowledged) = tracker.AckWaiter();
        Assert.Equal(2u, target);

        tracker.OnAck(1);
        Assert.False(acknowledged.IsCompleted);
        tracker.OnAck(2);
        await acknowledged.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.True(tracker.AckWaiter().Acknowledged.IsCompleted);
    }

    [Fact]
    public void A_stale_ack_does_not_reopen_the_wait_for_what_was_already_acknowledged()
    {
        var tracker = Tracker(new SentMessage("m1", Bob, false), new SentMessage("m2", Bob, false));
        tracker.OnAck(2);

        tracker.OnAck(1); // a server repeating an older count must not move the acknowledged mark back

        var (target, acknowledged) = tracker.AckWaiter();
        Assert.Equal(2u, target);
        Assert.True(acknowledged.IsCompleted);
    }

    [Fact]
    public void Every_inbound_stanza_is_counted_for_the_answer_to_the_servers_ack_request()
    {
        var tracker = Tracker();

        tracker.OnStanzaReceived();
        tracker.OnStanzaReceived();
        tracker.OnStanzaReceived();

        Assert.Equal(3u, tracker.InboundCount);
    }

    [Fact]
    public void Counters_start_again_when_stream_management_is_enabled()
    {
        var tracker = new DeliveryTracker();
        tracker.OnStanzaSent(null);
        tracker.OnStanzaReceived();

        tracker.EnableStreamManagement();

        Assert.True(tracker.SmEnabled);
        Assert.Equal(0u, tracker.SentCount);
        Assert.Equal(0u, tracker.InboundCount);
        tracker.OnStanzaSent(new SentMessage("m1", Bob, false));
        tracker.OnAck(1);
        Assert.Equal(["m1"], tracker.Report().Acknowledged);
    }

    [Fact]
    public void Untracked_stanzas_count_towards_the_sequence_but_are_not_reported()
    {
        var tracker = Tracker();
        tracker.OnStanzaSent(null); // e.g. a presence
        tracker.OnStanzaSent(new SentMessage("m1", Bob, false));

        tracker.OnAck(1);
        Assert.Equal(["m1"], tracker.Report().Unacknowledged);
        tracker.OnAck(2);
        Assert.Equal(["m1"], tracker.Report().Acknowledged);
        Assert.Equal(2u, tracker.SentCount);
    }

    [Fact]
    public void A_room_message_acknowledged_but_never_reflected_is_not_delivered()
    {
        var tracker = Tracker(new SentMessage("r1", Room, true));

        tracker.OnAck(1);

        var report = tracker.Report();
        Assert.Empty(report.Acknowledged);
        Assert.Equal(["r1"], report.Unacknowledged);
        Assert.False(report.AllDelivered);
    }

    [Fact]
    public void A_room_message_reflected_and_acknowledged_is_delivered()
    {
        var tracker = Tracker(new SentMessage("r1", Room, true));
        tracker.OnReflected("r1");
        Assert.Equal(["r1"], tracker.Report().Unacknowledged); // reflected is not enough without the ack

        tracker.OnAck(1);

        Assert.Equal(["r1"], tracker.Report().Acknowledged);
    }

    [Fact]
    public async Task The_reflection_wait_ends_when_every_room_message_is_reflected_or_bounced()
    {
        var tracker = Tracker(new SentMessage("r1", Room, true), new SentMessage("m1", Bob, false), new SentMessage("r2", Room, true));
        var pending = tracker.ReflectionsPending();

        tracker.OnReflected("r1");
        tracker.OnReflected("unknown");
        Assert.False(pending.IsCompleted);
        tracker.OnBounce("r2", Room, NotFound);
        await pending.WaitAsync(TimeSpan.FromSeconds(5));

        tracker.OnAck(3);
        var report = tracker.Report();
        Assert.Equal(["r1", "m1"], report.Acknowledged);
        var bounce = Assert.Single(report.Bounced);
        Assert.Equal(("r2", "item-not-found"), (bounce.Id, bounce.Error.Condition));
    }

    [Fact]
    public async Task The_reflection_wait_ends_when_the_last_room_message_is_reflected()
    {
        var tracker = Tracker(new SentMessage("r1", Room, true), new SentMessage("r2", Room, true));
        var pending = tracker.ReflectionsPending();

        tracker.OnReflected("r1");
        Assert.False(pending.IsCompleted);
        tracker.OnReflected("r2");

        await pending.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Every_wait_for_reflections_ends_not_only_the_latest()
    {
        var tracker = Tracker(new SentMessage("r1", Room, true));
        var first = tracker.ReflectionsPending();
        var second = tracker.ReflectionsPending();

        tracker.OnReflected("r1");

        await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(tracker.ReflectionsPending().IsCompleted);
    }

    [Fact]
    public void Without_room_messages_nothing_waits_for_reflections()
    {
        var tracker = Tracker(new SentMessage("m1", Bob, false));

        Assert.True(tracker.ReflectionsPending().IsCompleted);
    }

    [Fact]
    public void A_bounce_wins_over_an_ack_and_names_who_bounced()
    {
        var tracker = Tracker(new SentMessage("m1", Bob, false), new SentMessage("m2", Bob, false));

        tracker.OnBounce("m1", null, NotFound);
        tracker.OnBounce("m2", Jid.Parse("bob@example.org/phone"), NotFound);
        tracker.OnBounce("unknown", Bob, NotFound);
        tracker.OnAck(2);

        var report = tracker.Report();
        Assert.Empty(report.Acknowledged);
        Assert.Empty(report.Unacknowledged);
        Assert.Equal([Bob, Jid.Parse("bob@example.org/phone")], report.Bounced.Select(b => b.To));
    }
}
