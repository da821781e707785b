using Xmpp.Client;
using Xmpp.Notifications.Apprise;

namespace Xmpp.Notifications.Tests.Notifier;

/// <summary>The notifier against a real Prosody; receivers are separate sessions (one of them a different implementation).</summary>
public sealed class NotifierDeliveryTests(NotifierFixture server) : IClassFixture<NotifierFixture>
{
    private static string Unique(string text) => $"{text} {Guid.NewGuid():N}";

    [Fact]
    public async Task User_targets_from_the_path_each_receive_title_and_body_as_apprise_sends_them()
    {
        await using var bob = await server.IndependentReceiverAsync("bob");
        await using var carol = await server.ReceiverAsync("carol");
        var body = Unique("disk almost full");

        var result = await server.Notifier().NotifyAsync([server.Url("alice", "bob/carol")], [new Notification("Alert", body)], default);

        Assert.True(result.Success, result.Describe());
        var outcome = Assert.Single(result.Urls);
        Assert.Equal(2, outcome.Targets.Count);
        Assert.All(outcome.Targets, t => Assert.Equal(TargetStatus.Delivered, t.Status));
        Assert.DoesNotContain(server.Password("alice"), outcome.Url, StringComparison.Ordinal);
        // subject=no (Apprise's default): the title is the first line of the body.
        var viaSlixmpp = await bob.WaitForMessageAsync(m => m.Body?.Contains(body, StringComparison.Ordinal) == true, TimeSpan.FromSeconds(10));
        Assert.Equal("Alert\r\n" + body, viaSlixmpp.Body!.Replace("\n", "\r\n", StringComparison.Ordinal).Replace("\r\r", "\r", StringComparison.Ordinal));
        Assert.Equal("chat", viaSlixmpp.Type);
        var atCarol = await carol.WaitForAsync(m => m.Body?.EndsWith(body, StringComparison.Ordinal) == true);
        Assert.Null(atCarol.Subject);
    }

    [Fact]
    public async Task Subject_yes_puts_the_title_in_the_subject()
    {
        await using var bob = await server.ReceiverAsync("bob");
        var body = Unique("with subject");
        var result = await server.Notifier().NotifyAsync([server.Url("alice", "bob", "subject=yes")], [new Notification("Title here", body)], default);
        Assert.True(result.Success, result.Describe());
        var received = await bob.WaitForAsync(m => m.Body == body);
        Assert.Equal("Title here", received.Subject);
    }

    [Fact]
    public async Task No_target_sends_to_the_senders_own_jid()
    {
        await using var alice = await server.ReceiverAsync("alice");
        var body = Unique("note to self");
        var result = await server.Notifier().NotifyAsync([server.Url("alice")], [new Notification(null, body)], default);
        Assert.True(result.Success, result.Describe());
        Assert.Equal($"alice@{server.Domain}", Assert.Single(result.Urls[0].Targets).Target);
        await alice.WaitForAsync(m => m.Body == body);
    }

    [Fact]
    public async Task To_parameter_and_room_targets_are_delivered_and_the_room_is_joined_once()
    {
        var room = $"ops-{Guid.NewGuid():N}@conference.{server.Domain}";
        await using var listener = await server.IndependentReceiverAsync("carol", [room], "carol");
        await using var bob = await server.ReceiverAsync("bob");
        var first = Unique("first");
        var second = Unique("second");

        var result = await server.Notifier().NotifyAsync(
            [server.Url("alice", "", $"to=bob,%23{room}&name=notifier")],
            [new Notification(null, first), new Notification(null, second)], default);

        Assert.True(result.Success, result.Describe());
        Assert.Equal(4, result.Urls[0].Targets.Count);
        var inRoom = await listener.WaitForMessageAsync(m => m.Body == second, TimeSpan.FromSeconds(10));
        Assert.Equal("groupchat", inRoom.Type);
        Assert.EndsWith("/notifier", inRoom.From, StringComparison.Ordinal);
        Assert.Contains(listener.Received, m => m.Body == first);
        await bob.WaitForAsync(m => m.Body == second);
    }

    [Fact]
    public async Task Markdown_becomes_xhtml_im_with_the_plain_text_kept()
    {
        await using var bob = await server.ReceiverAsync("bob");
        var tag = Guid.NewGuid().ToString("N");
        var result = await server.Notifier().NotifyAsync([server.Url("alice", "bob")],
            [new Notification(null, $"**{tag}** is _down_") { Format = NotifyFormat.Markdown }], default);
        Assert.True(result.Success, result.Describe());
        var received = await bob.WaitForAsync(m => m.Body?.Contains(tag, StringComparison.Ordinal) == true);
        Assert.DoesNotContain("**", received.Body, StringComparison.Ordinal);
        Assert.Contains($"<strong>{tag}</strong>", received.XhtmlBody, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("split", 2)]
    [InlineData("truncate", 1)]
    public async Task Oversize_bodies_are_split_or_truncated(string overflow, int expectedMessages)
    {
        await using var bob = await server.ReceiverAsync("bob");
        var tag = Guid.NewGuid().ToString("N");
        var line = tag + " " + new string('x', 100) + "\n";
        var body = string.Concat(Enumerable.Repeat(line, (AppriseXmppUrl.MaxBodyLength / line.Length) + 20));

        var result = await server.Notifier().NotifyAsync([server.Url("alice", "bob", $"overflow={overflow}")], [new Notification(null, body)], default);

        Assert.True(result.Success, result.Describe());
        Assert.Equal(expectedMessages, result.Urls[0].Targets.Count);
        var parts = new List<ReceivedMessage>();
        for (var i = 0; i < expectedMessages; i++)
            parts.Add(await bob.WaitForAsync(m => m.Body?.StartsWith(tag, StringComparison.Ordinal) == true));
        Assert.All(parts, p => Assert.True(p.Body!.Length <= AppriseXmppUrl.MaxBodyLength));
        if (overflow == "split")
            Assert.Equal(body, string.Concat(parts.Select(p => p.Body)));
        else
            Assert.Equal(body[..AppriseXmppUrl.MaxBodyLength], parts[0].Body);
    }

    [Fact]
    public async Task Wrong_password_fails_as_authentication_without_retrying_or_leaking()
    {
        var wrong = "Not-The-Password-" + Guid.NewGuid().ToString("N");
        var result = await server.Notifier().NotifyAsync([server.Url("alice", "bob", "retry=3&wait=5", password: wrong)], [new Notification("t", "b")], default);
        Assert.False(result.Success);
        var outcome = Assert.Single(result.Urls);
        Assert.Equal(NotifyFailureKind.Authentication, outcome.Failure);
        Assert.Equal(TargetStatus.NotSent, Assert.Single(outcome.Targets).Status);
        Assert.DoesNotContain(wrong, result.Describe(), StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, outcome.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Optional_url_failure_is_absorbed_and_the_other_url_still_delivers()
    {
        await using var bob = await server.ReceiverAsync("bob");
        var body = Unique("one of two");
        var result = await server.Notifier().NotifyAsync(
            [server.Url("carol", "bob", "optional=yes", password: "wrong"), server.Url("alice", "bob")],
            [new Notification(null, body)], default);
        Assert.True(result.Success, result.Describe());
        Assert.False(result.Urls[0].Delivered);
        Assert.True(result.Urls[0].Optional);
        Assert.True(result.Urls[1].Delivered);
        await bob.WaitForAsync(m => m.Body == body);
    }

    [Fact]
    public async Task Unknown_user_is_rejected_while_the_known_one_is_delivered()
    {
        await using var bob = await server.ReceiverAsync("bob");
        var result = await server.Notifier().NotifyAsync([server.Url("alice", "bob/nobody")], [new Notification(null, Unique("partial"))], default);
        Assert.False(result.Success);
        var targets = result.Urls[0].Targets;
        Assert.Equal(TargetStatus.Delivered, targets.Single(t => t.Target.StartsWith("bob@", StringComparison.Ordinal)).Status);
        var rejected = targets.Single(t => t.Target.StartsWith("nobody@", StringComparison.Ordinal));
        Assert.Equal(NotifyFailureKind.Rejected, rejected.Failure);
        Assert.Contains("service-unavailable", rejected.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_url_is_reported_with_the_part_and_without_the_password()
    {
        var result = await server.Notifier().NotifyAsync(["xmpps://alice:SuperSecret99@localhost:99999/bob"], [new Notification(null, "x")], default);
        var outcome = Assert.Single(result.Urls);
        Assert.Equal(NotifyFailureKind.InvalidUrl, outcome.Failure);
        Assert.Contains("port", outcome.Error, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("SuperSecret99", outcome.Url + outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Per_message_targets_replace_the_urls_targets()
    {
        await using var carol = await server.ReceiverAsync("carol");
        var body = Unique("redirected");
        var result = await server.Notifier().NotifyAsync([server.Url("alice", "bob")], [new Notification(null, body) { Targets = ["carol"] }], default);
        Assert.True(result.Success, result.Describe());
        Assert.Equal($"carol@{server.Domain}", Assert.Single(result.Urls[0].Targets).Target);
        await carol.WaitForAsync(m => m.Body == body);
    }

    [Fact]
    public async Task Control_characters_and_colour_codes_in_title_and_body_are_removed_and_every_message_goes()
    {
        await using var bob = await server.IndependentReceiverAsync("bob");
        var marker = Guid.NewGuid().ToString("N");
        var notifications = new[]
        {
            new Notification(null, "first " + marker),
            new Notification("\u001B[1mBuild\u001B[0m \u0001failed", $"\u001B[31mERROR\u001B[0m a\u0001b\uFFFE {marker}"),
            new Notification(null, "third " + marker),
        };

        var result = await server.Notifier().NotifyAsync([server.Url("alice", "bob")], notifications, default);

        Assert.True(result.Success, result.Describe());
        var cleaned = await bob.WaitForMessageAsync(m => m.Body?.Contains("ERROR", StringComparison.Ordinal) == true, TimeSpan.FromSeconds(10));
        Assert.Equal($"Build failed\nERROR ab {marker}", cleaned.Body!.Replace("\r\n", "\n", StringComparison.Ordinal));
        await bob.WaitForMessageAsync(m => m.Body == "third " + marker, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_target_with_a_noncharacter_is_refused_by_name_and_the_others_still_receive()
    {
        await using var bob = await server.ReceiverAsync("bob");
        var body = Unique("one bad target");
        var result = await server.Notifier().NotifyAsync([server.Url("alice")],
            [new Notification(null, body) { Targets = ["bob", "mal\uFFFElory", "eve\u0001"] }], default);

        Assert.False(result.Success);
        var outcome = Assert.Single(result.Urls);
        Assert.Equal(TargetStatus.Delivered, outcome.Targets.Single(t => t.Target.StartsWith("bob@", StringComparison.Ordinal)).Status);
        var refused = outcome.Targets.Where(t => t.Status == TargetStatus.Failed).ToList();
        Assert.Equal(2, refused.Count);
        Assert.All(refused, t => Assert.Equal(NotifyFailureKind.Rejected, t.Failure));
        Assert.Contains(refused, t => t.Error!.Contains("noncharacter U+FFFE", StringComparison.Ordinal));
        Assert.Contains(refused, t => t.Error!.Contains("control character U+0001", StringComparison.Ordinal));
        await bob.WaitForAsync(m => m.Body == body);
    }

    [Fact]
    public async Task A_message_that_cannot_be_prepared_is_a_typed_outcome_not_an_exception()
    {
        var result = await new XmppNotifier().NotifyAsync([server.Url("alice", "bob")], [new Notification(null, null!)], default);

        var outcome = Assert.Single(result.Urls);
        Assert.False(result.Success);
        Assert.Equal(NotifyFailureKind.Rejected, outcome.Failure);
        Assert.Contains("could not be prepared", outcome.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Password("alice"), result.Describe(), StringComparison.Ordinal);
    }
}
