using System.Diagnostics;
using Xmpp.Client;
using Xmpp.Notifications.Apprise;

namespace Xmpp.Notifications.Tests.Notifier;

/// <summary>
/// The delivery rules of one URL (retries, what is re-sent, receipts, offline contacts, rooms, subscription requests)
/// against a scripted loopback server: each rule is observed on the wire and in the outcome, in milliseconds.
/// </summary>
public sealed class ScriptedDeliveryTests
{
    // Where a test counts connections, rto is 2 s although the waits it bounds end sooner or are meant to run out: a
    // login slower than rto on a loaded machine would be a timeout, and its retry one connection more.
    private static readonly Notification Hello = new(null, "hello");

    private static async Task<UrlOutcome> NotifyAsync(string url, IReadOnlyList<Notification>? notifications = null, XmppNotifierOptions? options = null)
    {
        // Every wait of these scripts is short; a delivery that overran this bound took a wrong turn (a wait or retry too many).
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var result = await new XmppNotifier(options: options).NotifyAsync([url], notifications ?? [Hello], cts.Token);
        return Assert.Single(result.Urls);
    }

    [Fact]
    public async Task A_message_proven_by_the_ping_answer_is_delivered_over_one_pipelined_connection()
    {
        var seen = "";
        await using var server = ScriptedServer.Start((_, _, text) =>
        {
            seen += text;
            return "";
        });

        var outcome = await NotifyAsync(ScriptedServer.Url(server, query: "retry=2"), [new("Disk", "full") { Id = "n1" }]);

        Assert.True(outcome.Delivered);
        Assert.Equal(NotifyFailureKind.None, outcome.Failure);
        var target = Assert.Single(outcome.Targets);
        Assert.Equal(TargetStatus.Delivered, target.Status);
        Assert.Equal(ReceiptStatus.NotRequested, target.Receipt);
        Assert.Equal(1, server.Connections);
        // The stanza id and the XEP-0359 origin-id are one id; no receipt asked, no presence sent (receipts are off).
        Assert.Contains("<message to='bob@127.0.0.1' type='chat' id='n1'>", seen, StringComparison.Ordinal);
        Assert.Contains("<origin-id xmlns='urn:xmpp:sid:0' id='n1'/>", seen, StringComparison.Ordinal);
        Assert.Contains("<body>Disk&#xD;\nfull</body>", seen, StringComparison.Ordinal);
        Assert.DoesNotContain("urn:xmpp:receipts", seen, StringComparison.Ordinal);
        Assert.DoesNotContain("<presence", seen, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task A_connection_lost_during_login_is_tried_once_plus_retry_times_and_no_more(int retry)
    {
        await using var server = ScriptedServer.Start((_, _, _) => "", new HostileLogin { CutDuringSaslCount = int.MaxValue });

        var outcome = await NotifyAsync(ScriptedServer.Url(server, query: $"retry={retry}&wait=0"));

        Assert.Equal(retry + 1, server.Connections);
        Assert.False(outcome.Delivered);
        Assert.Equal(NotifyFailureKind.Protocol, outcome.Failure);
        Assert.NotNull(outcome.Error);
        var target = Assert.Single(outcome.Targets);
        Assert.Equal("bob@127.0.0.1", target.Target);
        Assert.Equal(TargetStatus.NotSent, target.Status);
        Assert.Equal(NotifyFailureKind.Protocol, target.Failure);
        Assert.Equal(outcome.Error, target.Error);
    }

    [Fact]
    public async Task A_refused_fast_token_is_forgotten_and_one_more_login_at_once_delivers_without_spending_a_retry()
    {
        var seen = "";
        await using var server = ScriptedServer.Start((_, _, text) =>
        {
            seen += text;
            return "";
        }, new HostileLogin { Sasl2 = true, RefuseFastTokens = true });
        var account = Jid.Parse("alice@127.0.0.1");
        var tokens = new InMemoryFastTokenStore();
        tokens.Save(account, RevokedToken());
        var options = WithTokens(tokens);

        // wait=20 outlasts the test's bound: the second login must come at once, not as a retry after the wait.
        var outcome = await NotifyAsync(ScriptedServer.Url(server, query: "retry=1&wait=20"), [new(null, "after a revoked token") { Id = "f1" }], options);

        Assert.True(outcome.Delivered);
        Assert.Null(outcome.Error);
        Assert.Equal(2, server.Connections);
        Assert.Null(tokens.Find(account));
        Assert.Equal(["f1"], ScriptedServer.MessageIds(seen));
    }

    [Fact]
    public async Task Only_one_login_after_a_refused_token_is_free_and_a_second_refusal_ends_the_delivery()
    {
        // A store that cannot forget (say, one another process fills again): every login offers the refused token.
        await using var server = ScriptedServer.Start((_, _, _) => "", new HostileLogin { Sasl2 = true, RefuseFastTokens = true });
        var tokens = new UnforgettingTokenStore(RevokedToken());
        var options = WithTokens(tokens);

        var outcome = await NotifyAsync(ScriptedServer.Url(server, query: "retry=0"), options: options);

        Assert.False(outcome.Delivered);
        Assert.Equal(2, server.Connections);
        Assert.Contains("FAST token", outcome.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-token", outcome.Error, StringComparison.Ordinal);
    }

    /// <summary>A token the scripted server refuses (<see cref="HostileLogin.RefuseFastTokens"/>), valid for a day.</summary>
    private static FastToken RevokedToken() => new("HT-SHA-256-NONE", "secret-token:revoked", DateTimeOffset.UtcNow.AddDays(1));

    private static XmppNotifierOptions WithTokens(IFastTokenStore tokens) => new() { ConfigureClient = client => client.FastTokens = tokens };

    private sealed class UnforgettingTokenStore(FastToken token) : IFastTokenStore
    {
        public string ClientId => "unforgetting";

        public FastToken? Find(Jid account) => token;

        public void Save(Jid account, FastToken token)
        {
        }

        public void Remove(Jid account)
        {
        }
    }

    [Fact]
    public async Task A_connection_that_recovers_on_the_retry_delivers()
    {
        await using var server = ScriptedServer.Start((_, _, _) => "", new HostileLogin { CutDuringSaslCount = 1 });

        var outcome = await NotifyAsync(ScriptedServer.Url(server, query: "retry=3&wait=0"));

        Assert.True(outcome.Delivered);
        Assert.Null(outcome.Error);
        Assert.Equal(2, server.Connections);
    }

    [Fact]
    public async Task A_refused_connection_is_retried()
    {
        // Nothing listens on the port: every attempt is refused, and each attempt builds its own connection settings.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var attempts = 0;
        var options = new XmppNotifierOptions { ConfigureClient = _ => Interlocked.Increment(ref attempts) };

        var outcome = await NotifyAsync($"xmpp://alice:pw@127.0.0.1:{port}/bob?retry=2&wait=0", options: options);

        Assert.Equal(NotifyFailureKind.Connection, outcome.Failure);
        Assert.Equal(3, attempts);
    }

    [Fact]
    public async Task A_connection_cut_before_the_delivery_proof_with_receipts_leaves_the_message_unacknowledged()
    {
        await using var server = ScriptedServer.Start((_, _, _) => null);

        // rto=20 outlasts the test's bound: the lost session must end the receipt wait at once.
        var outcome = await NotifyAsync(ScriptedServer.Url(server, query: "receipts=wait&rto=20"));

        var target = Assert.Single(outcome.Targets);
        Assert.Equal(NotifyFailureKind.Unacknowledged, target.Failure);
        Assert.Equal(ReceiptStatus.NotRequested, target.Receipt);
    }

    [Fact]
    public async Task A_notification_that_cannot_be_composed_is_a_typed_rejection_before_any_connection()
    {
        await using var server = ScriptedServer.Honest();

        var outcome = await NotifyAsync(ScriptedServer.Url(server), [new(null, null!)]);

        Assert.Equal(NotifyFailureKind.Rejected, outcome.Failure);
        Assert.StartsWith("the messages could not be prepared (", outcome.Error, StringComparison.Ordinal);
        Assert.Empty(outcome.Targets);
        Assert.Equal(0, server.Connections);
    }

    [Fact]
    public async Task A_refused_password_is_not_retried()
    {
        await using var server = ScriptedServer.Start((_, _, _) => "", new HostileLogin { RejectPassword = true });

        var outcome = await NotifyAsync(ScriptedServer.Url(server, query: "retry=3&wait=0"));

        Assert.Equal(NotifyFailureKind.Authentication, outcome.Failure);
        Assert.Equal(1, server.Connections);
        Assert.Equal(TargetStatus.NotSent, Assert.Single(outcome.Targets).Status);
    }

    [Fact]
    public async Task A_silent_server_is_a_timeout_and_is_retried()
    {
        // The server takes the login and then never answers the ping: each attempt ends at rto.
        await using var server = HostileXmppServer.Start((_, ct) => Task.Delay(Timeout.Infinite, ct));

        var outcome = await NotifyAsync(ScriptedServer.Url(server, query: "retry=1&wait=0&rto=0.3"));

        Assert.False(outcome.Delivered);
        Assert.Equal(2, server.Connections);
    }

    [Fact]
    public async Task The_wait_between_attempts_is_not_spent_before_the_first_one_nor_after_a_success()
    {
        // wait=20 would outlast the test's bound: it may only be spent between attempts.
        await using var server = ScriptedServer.Honest();

        var outcome = await NotifyAsync(ScriptedServer.Url(server, query: "retry=1&wait=20"));

        Assert.True(outcome.Delivered);
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task The_wait_is_spent_between_attempts()
    {
        await using var server = ScriptedServer.Start((_, _, _) => "", new HostileLogin { CutDuringSaslCount = 1 });
        var started = new List<long>();
        var options = new XmppNotifierOptions { ConfigureClient = _ => started.Add(System.Diagnostics.Stopwatch.GetTimestamp()) };

        var outcome = await NotifyAsync(ScriptedServer.Url(server, query: "retry=1&wait=2"), options: options);

        Assert.True(outcome.Delivered);
        Assert.Equal(2, started.Count);
        // A lower bound only (a loaded machine makes the gap longer, never shorter), with room for the timer firing a
        // little early; without the wait the gap would be the first attempt's few milliseconds.
        var gap = System.Diagnostics.Stopwatch.GetElapsedTime(started[0], started[1]);
        Assert.True(gap >= TimeSpan.FromSeconds(1.5), $"the second attempt started {gap} after the first");
    }

    [Fact]
    public async Task A_message_stored_without_a_receipt_is_settled_and_not_sent_again_when_another_is_retried()
    {
        var sessions = new System.Collections.Concurrent.ConcurrentDictionary<int, string>();
        await using var server = ScriptedServer.Start((session, _, text) =>
        {
            sessions.AddOrUpdate(session.Number, text, (_, before) => before + text);
            // The room's message is reflected only on the second connection; bob's client never sends a receipt.
            var room = System.Text.RegularExpressions.Regex.Match(text, "<message to='ops@conference.127.0.0.1' type='groupchat' id='([^']+)'");
            return session.Number == 1 || !room.Success ? "" : $"<message from='ops@conference.127.0.0.1/alice' type='groupchat' id='{room.Groups[1].Value}'><body>x</body></message>";
        });

        var outcome = await NotifyAsync(ScriptedServer.Url(server, "bob/%23ops@conference.127.0.0.1", "receipts=require&retry=1&wait=0&rto=2"));

        var bob = outcome.Targets.Single(t => t.Target == "bob@127.0.0.1");
        Assert.Equal(NotifyFailureKind.NoReceipt, bob.Failure);
        Assert.Equal(TargetStatus.Delivered, outcome.Targets.Single(t => t.Target != "bob@127.0.0.1").Status);
        Assert.Equal(2, server.Connections);
        Assert.Contains("to='bob@127.0.0.1'", sessions[1], StringComparison.Ordinal);
        Assert.DoesNotContain("to='bob@127.0.0.1'", sessions[2], StringComparison.Ordinal);
        Assert.Contains("type='groupchat'", sessions[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_message_whose_proof_was_cut_off_is_sent_again_with_the_same_id_on_the_retry()
    {
        var sessions = new List<string>();
        await using var server = ScriptedServer.Start((session, _, text) =>
        {
            lock (sessions)
                sessions.Add(text);
            return session.Number == 1 ? null : "";
        });

        var outcome = await NotifyAsync(ScriptedServer.Url(server, query: "retry=1&wait=0"));

        Assert.True(outcome.Delivered);
        Assert.Equal(TargetStatus.Delivered, Assert.Single(outcome.Targets).Status);
        Assert.Equal(2, server.Connections);
        var first = Assert.Single(ScriptedServer.MessageIds(sessions[0]));
        Assert.Equal(first, Assert.Single(ScriptedServer.MessageIds(sessions[1])));
    }

    [Fact]
    public async Task Without_retry_a_message_whose_proof_was_cut_off_is_unacknowledged()
    {
        await using var server = ScriptedServer.Start((_, _, _) => null);

        var outcome = await NotifyAsync(ScriptedServer.Url(server));

        Assert.False(outcome.Delivered);
        Assert.Equal(NotifyFailureKind.None, outcome.Failure);
        var target = Assert.Single(outcome.Targets);
        Assert.Equal(TargetStatus.Failed, target.Status);
        Assert.Equal(NotifyFailureKind.Unacknowledged, target.Failure);
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task A_bounce_rejects_only_its_own_message_and_is_not_retried()
    {
        await using var server = ScriptedServer.Start((_, _, text) =>
        {
            var carol = ScriptedServer.MessageIds(text)[1];
            return $"<message from='carol@127.0.0.1' type='error' id='{carol}'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>";
        });

        var outcome = await NotifyAsync(ScriptedServer.Url(server, "bob/carol", "retry=2&wait=0"));

        Assert.Equal(1, server.Connections);
        Assert.Equal(NotifyFailureKind.None, outcome.Failure);
        var bob = outcome.Targets.Single(t => t.Target == "bob@127.0.0.1");
        var carolOutcome = outcome.Targets.Single(t => t.Target == "carol@127.0.0.1");
        Assert.Equal(TargetStatus.Delivered, bob.Status);
        Assert.Equal(TargetStatus.Failed, carolOutcome.Status);
        Assert.Equal(NotifyFailureKind.Rejected, carolOutcome.Failure);
        Assert.Contains("service-unavailable", carolOutcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_targets_are_reported_next_to_the_delivered_ones()
    {
        await using var server = ScriptedServer.Honest();

        var outcome = await NotifyAsync(ScriptedServer.Url(server, "bob/a@@b"));

        Assert.False(outcome.Delivered);
        Assert.Equal(NotifyFailureKind.None, outcome.Failure);
        Assert.Equal(2, outcome.Targets.Count);
        Assert.Equal(TargetStatus.Delivered, outcome.Targets[0].Status);
        Assert.Equal("a@@b", outcome.Targets[1].Target);
        Assert.Equal(NotifyFailureKind.Rejected, outcome.Targets[1].Failure);
    }

    [Fact]
    public async Task Nothing_to_deliver_is_a_rejection_without_a_connection()
    {
        await using var server = ScriptedServer.Honest();

        var outcome = await NotifyAsync(ScriptedServer.Url(server, query: "retry=1&wait=20"), []);

        Assert.Equal(NotifyFailureKind.Rejected, outcome.Failure);
        Assert.Equal("no valid target to deliver to", outcome.Error);
        Assert.Empty(outcome.Targets);
        Assert.Equal(0, server.Connections);
    }

    [Fact]
    public async Task A_message_that_cannot_be_built_fails_alone_and_the_others_are_sent()
    {
        var seen = "";
        await using var server = ScriptedServer.Start((_, _, text) =>
        {
            seen += text;
            return "";
        });

        var outcome = await NotifyAsync(ScriptedServer.Url(server), [new("a", "bad") { ExtensionXml = "<x xmlns='urn:example'>" }, new("b", "good")]);

        Assert.Equal(NotifyFailureKind.None, outcome.Failure);
        Assert.Equal(TargetStatus.Failed, outcome.Targets[0].Status);
        Assert.Equal(NotifyFailureKind.Rejected, outcome.Targets[0].Failure);
        Assert.StartsWith("the message could not be built: ", outcome.Targets[0].Error, StringComparison.Ordinal);
        Assert.Equal(TargetStatus.Delivered, outcome.Targets[1].Status);
        Assert.Single(ScriptedServer.MessageIds(seen));
        Assert.Contains("good</body>", seen, StringComparison.Ordinal);
    }

    private static string Receipt(string text, string from = "bob@127.0.0.1/phone") =>
        $"<message from='{from}' id='r-{Guid.NewGuid():N}'><received xmlns='urn:xmpp:receipts' id='{ScriptedServer.MessageIds(text)[0]}'/></message>";

    [Fact]
    public async Task A_receipt_from_the_recipients_client_is_reported_with_who_sent_it()
    {
        var seen = "";
        await using var server = ScriptedServer.Start((_, ping, text) =>
        {
            seen += text;
            return ping == 1 ? Receipt(text) : "";
        });

        // rto=20 outlasts the test's bound: the receipt must end the wait.
        var outcome = await NotifyAsync(ScriptedServer.Url(server, query: "receipts=wait&rto=20"));

        Assert.True(outcome.Delivered);
        var target = Assert.Single(outcome.Targets);
        Assert.Equal(ReceiptStatus.Received, target.Receipt);
        Assert.Equal("bob@127.0.0.1/phone", target.ReceivedBy);
        Assert.Null(target.Error);
        // The session shows presence (priority -1) to see the recipient's, and asks for the receipt.
        Assert.Contains("<presence><priority>-1</priority></presence>", seen, StringComparison.Ordinal);
        Assert.Contains("<request xmlns='urn:xmpp:receipts'/>", seen, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_receipt_receipts_wait_delivers_and_says_it_is_missing_after_rto()
    {
        await using var server = ScriptedServer.Honest();

        var outcome = await NotifyAsync(ScriptedServer.Url(server, query: "receipts=wait&rto=0.25"));

        Assert.True(outcome.Delivered);
        var target = Assert.Single(outcome.Targets);
        Assert.Equal(TargetStatus.Delivered, target.Status);
        Assert.Equal(ReceiptStatus.Missing, target.Receipt);
        Assert.Contains("within 0.25 s (rto)", target.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_receipt_receipts_require_fails_the_target_and_does_not_send_it_again()
    {
        await using var server = ScriptedServer.Honest();

        var outcome = await NotifyAsync(ScriptedServer.Url(server, query: "receipts=require&rto=2&retry=2&wait=0"));

        Assert.False(outcome.Delivered);
        var target = Assert.Single(outcome.Targets);
        Assert.Equal(TargetStatus.Failed, target.Status);
        Assert.Equal(NotifyFailureKind.NoReceipt, target.Failure);
        Assert.Equal(ReceiptStatus.Missing, target.Receipt);
        Assert.EndsWith("(receipts=require)", target.Error, StringComparison.Ordinal);
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task A_recipient_who_goes_offline_ends_the_receipt_wait_and_is_reported_offline()
    {
        // rto=20 outlasts the test's bound: only the unavailable presence may end the wait.
        await using var server = ScriptedServer.Start((_, ping, _) =>
            ping == 1 ? BobOffline : "");

        var outcome = await NotifyAsync(ScriptedServer.Url(server, query: "receipts=require&rto=20"));

        var target = Assert.Single(outcome.Targets);
        Assert.Equal(TargetStatus.Failed, target.Status);
        Assert.Equal(ReceiptStatus.RecipientOffline, target.Receipt);
        Assert.StartsWith("the recipient is offline; the server stored the message", target.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_hosts_receipt_setting_applies_only_where_the_url_says_nothing()
    {
        var seen = "";
        await using var server = ScriptedServer.Start((_, _, text) =>
        {
            seen += text;
            return "";
        });
        var options = new XmppNotifierOptions { Receipts = ReceiptMode.Require };

        var quiet = await NotifyAsync(ScriptedServer.Url(server, query: "receipts=no"), options: options);
        Assert.True(quiet.Delivered);
        Assert.Equal(ReceiptStatus.NotRequested, Assert.Single(quiet.Targets).Receipt);
        Assert.DoesNotContain("urn:xmpp:receipts", seen, StringComparison.Ordinal);

        var required = await NotifyAsync(ScriptedServer.Url(server, query: "rto=0.25"), options: options);
        Assert.Equal(NotifyFailureKind.NoReceipt, Assert.Single(required.Targets).Failure);
        Assert.Contains("<request xmlns='urn:xmpp:receipts'/>", seen, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_hosts_client_settings_are_applied_and_its_response_timeout_bounds_the_receipt_wait()
    {
        await using var server = ScriptedServer.Honest();
        var configured = 0;
        var options = new XmppNotifierOptions
        {
            ConfigureClient = o =>
            {
                Assert.True(o.PipelineLogin);
                configured++;
                o.ResponseTimeout = TimeSpan.FromMilliseconds(300);
            },
        };

        var outcome = await NotifyAsync(ScriptedServer.Url(server, query: "receipts=wait&rto=20"), options: options);

        Assert.Equal(1, configured);
        Assert.Equal(ReceiptStatus.Missing, Assert.Single(outcome.Targets).Receipt);
        Assert.Contains("within 0.3 s (rto)", outcome.Targets[0].Error, StringComparison.Ordinal);
    }

    private const string BobOffline = "<presence from='bob@127.0.0.1' type='unavailable'/>";

    [Theory]
    [InlineData("skip", TargetStatus.Skipped, NotifyFailureKind.None)]
    [InlineData("fail", TargetStatus.Failed, NotifyFailureKind.Offline)]
    public async Task An_offline_recipient_is_not_sent_to_with_offline_skip_or_fail(string policy, TargetStatus status, NotifyFailureKind failure)
    {
        var seen = "";
        await using var server = ScriptedServer.Start((_, ping, text) =>
        {
            seen += text;
            return ping == 1 ? BobOffline : "";
        });

        var outcome = await NotifyAsync(ScriptedServer.Url(server, "bob/carol", $"offline={policy}&retry=1&wait=0&rto=2"));

        var bob = outcome.Targets.Single(t => t.Target == "bob@127.0.0.1");
        Assert.Equal(status, bob.Status);
        Assert.Equal(failure, bob.Failure);
        Assert.Contains($"(offline={policy})", bob.Error, StringComparison.Ordinal);
        // carol's presence is unknown: she is sent to, as before.
        Assert.Equal(TargetStatus.Delivered, outcome.Targets.Single(t => t.Target == "carol@127.0.0.1").Status);
        Assert.Single(ScriptedServer.MessageIds(seen));
        Assert.Contains("to='carol@127.0.0.1'", seen, StringComparison.Ordinal);
        Assert.Equal(1, server.Connections);
        Assert.Equal(policy == "skip", outcome.Delivered);
    }

    [Fact]
    public async Task Offline_send_sends_to_an_offline_recipient()
    {
        var seen = "";
        await using var server = ScriptedServer.Start((_, ping, text) =>
        {
            seen += text;
            return ping == 1 ? BobOffline : "";
        });

        var outcome = await NotifyAsync(ScriptedServer.Url(server, "bob", "subscribe=accept"));

        Assert.True(outcome.Delivered);
        Assert.Single(ScriptedServer.MessageIds(seen));
    }

    [Fact]
    public async Task A_room_is_joined_once_and_its_reflected_message_delivered_while_the_acked_person_message_is_not_sent_again()
    {
        var sessions = new List<string>();
        await using var server = ScriptedServer.Start((session, _, text) =>
        {
            lock (sessions)
                sessions.Add(text);
            // The first connection never reflects the room message; the second does.
            if (session.Number == 1)
                return "";
            return string.Concat(ScriptedServer.MessageIds(text).Select(id => $"<message from='ops@conference.127.0.0.1/alice' type='groupchat' id='{id}'><body>x</body></message>"));
        });

        var outcome = await NotifyAsync(ScriptedServer.Url(server, "bob/%23ops@conference.127.0.0.1", "retry=1&wait=0&rto=2"),
            [new(null, "one"), new(null, "two")]);

        Assert.True(outcome.Delivered, new NotifyResult([outcome]).Describe());
        Assert.Equal(4, outcome.Targets.Count);
        Assert.All(outcome.Targets, t => Assert.Equal(TargetStatus.Delivered, t.Status));
        Assert.Equal(2, server.Connections);
        Assert.Equal(4, ScriptedServer.MessageIds(sessions[0]).Count);
        // The room is joined once per connection, and only the room messages go out again.
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(sessions[0], "http://jabber.org/protocol/muc'>"));
        Assert.Equal(2, ScriptedServer.MessageIds(sessions[1]).Count);
        Assert.DoesNotContain("to='bob@127.0.0.1'", sessions[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_room_that_refuses_the_join_rejects_its_messages_and_the_others_are_delivered()
    {
        var seen = "";
        await using var server = ScriptedServer.Start((_, _, text) =>
        {
            seen += text;
            return "";
        }, onJoin: (_, occupant) =>
            $"<presence from='{occupant}' type='error'><error type='auth'><registration-required xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>");

        var outcome = await NotifyAsync(ScriptedServer.Url(server, "bob/%23ops@conference.127.0.0.1", "retry=1&wait=0"));

        var room = outcome.Targets.Single(t => t.Target != "bob@127.0.0.1");
        Assert.Equal(TargetStatus.Failed, room.Status);
        Assert.Equal(NotifyFailureKind.Rejected, room.Failure);
        Assert.Equal(TargetStatus.Delivered, outcome.Targets.Single(t => t.Target == "bob@127.0.0.1").Status);
        Assert.DoesNotContain("type='groupchat'", seen, StringComparison.Ordinal);
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task A_room_message_with_receipts_is_delivered_without_waiting_for_a_receipt()
    {
        var seen = "";
        await using var server = ScriptedServer.Start((_, _, text) =>
        {
            seen += text;
            var ids = ScriptedServer.MessageIds(text);
            return ids.Count == 0 ? "" : $"<message from='ops@conference.127.0.0.1/alice' type='groupchat' id='{ids[0]}'><body>x</body></message>";
        });

        var outcome = await NotifyAsync(ScriptedServer.Url(server, "%23ops@conference.127.0.0.1", "receipts=require&rto=20"));

        Assert.True(outcome.Delivered);
        var room = Assert.Single(outcome.Targets);
        Assert.Equal(ReceiptStatus.NotApplicable, room.Receipt);
        Assert.DoesNotContain("urn:xmpp:receipts", seen, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Subscription_requests_are_reported_once_across_attempts()
    {
        // The first connection brings the request and is cut; the second brings it again and proves the message.
        const string Request = "<presence from='carol@127.0.0.1' type='subscribe'/>";
        await using var server = ScriptedServer.Start((session, _, _) => session.Number == 1 ? ScriptedServer.CutAfter(Request) : Request);

        var outcome = await NotifyAsync(ScriptedServer.Url(server, query: "subscribe=deny&retry=1&wait=0"));

        Assert.True(outcome.Delivered);
        var request = Assert.Single(outcome.SubscriptionRequests);
        Assert.Equal("carol@127.0.0.1", request.From.ToString());
        Assert.Equal(SubscriptionPolicy.Deny, request.Answer);
    }

    [Fact]
    public async Task The_url_span_records_the_sessions_steps()
    {
        using var source = new ActivitySource("Xmpp.Notifications.Tests.Scripted");
        var spans = new System.Collections.Concurrent.ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is XmppNotificationsTelemetry.Name or "Xmpp.Notifications.Tests.Scripted",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var server = ScriptedServer.Honest();

        ActivityTraceId trace;
        using (var parent = source.StartActivity("test"))
        {
            trace = parent!.TraceId;
            Assert.True((await NotifyAsync(ScriptedServer.Url(server), [new(null, "a") { Id = "s1" }])).Delivered);
        }

        var url = spans.Single(s => s.TraceId == trace && s.OperationName.StartsWith("send ", StringComparison.Ordinal));
        Assert.Equal(["connect", "authenticate", "send", "acknowledge"], url.Events.Select(e => e.Name).ToArray());
        var send = url.Events.Single(e => e.Name == "send");
        Assert.Equal("s1", send.Tags.Single(t => t.Key == "messaging.message.id").Value);
        var acknowledge = url.Events.Single(e => e.Name == "acknowledge");
        Assert.Equal(1, acknowledge.Tags.Single(t => t.Key == "xmpp.acknowledged_count").Value);
    }

    private sealed class ListLogger : Microsoft.Extensions.Logging.ILogger
    {
        public System.Collections.Concurrent.ConcurrentQueue<(Microsoft.Extensions.Logging.LogLevel Level, string Text)> Entries { get; } = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Enqueue((logLevel, formatter(state, exception)));
    }

    [Fact]
    public async Task A_delivery_is_logged_as_information_and_an_incomplete_one_as_a_warning_both_redacted()
    {
        await using var good = ScriptedServer.Honest();
        await using var cut = ScriptedServer.Start((_, _, _) => null);
        var logger = new ListLogger();
        var notifier = new XmppNotifier(logger);

        await notifier.NotifyAsync([ScriptedServer.Url(good)], [Hello], CancellationToken.None);
        var delivered = Assert.Single(logger.Entries);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Information, delivered.Level);
        Assert.Contains("acknowledged for 1 target message(s)", delivered.Text, StringComparison.Ordinal);

        logger.Entries.Clear();
        await notifier.NotifyAsync([ScriptedServer.Url(cut)], [Hello], CancellationToken.None);
        var incomplete = Assert.Single(logger.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning);
        Assert.Contains("the server did not acknowledge the message", incomplete.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(":pw@", string.Concat(logger.Entries.Select(e => e.Text)), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Failures))]
    public void Failures_are_classified_by_what_retrying_could_change(XmppException error, NotifyFailureKind kind) =>
        Assert.Equal(kind, UrlDelivery.Classify(error));

    public static TheoryData<XmppException, NotifyFailureKind> Failures() => new()
    {
        { new XmppConnectException("h", 5222, "refused"), NotifyFailureKind.Connection },
        { new XmppTlsException("untrusted"), NotifyFailureKind.Tls },
        { new XmppAuthenticationException("bad"), NotifyFailureKind.Authentication },
        { new XmppTimeoutException("a ping answer", TimeSpan.FromSeconds(1)), NotifyFailureKind.Timeout },
        { new XmppDiscoveryException("example.org", DiscoveryFailure.Timeout, "slow"), NotifyFailureKind.Timeout },
        { new XmppDiscoveryException("example.org", DiscoveryFailure.NotPublished, "none"), NotifyFailureKind.Connection },
        { new XmppStanzaErrorException(new StanzaError("cancel", "forbidden", null)), NotifyFailureKind.Rejected },
        { new XmppProtocolException("bad"), NotifyFailureKind.Protocol },
        { new XmppStreamErrorException("conflict", null), NotifyFailureKind.Protocol },
    };
}
