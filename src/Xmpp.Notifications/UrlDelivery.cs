using Microsoft.Extensions.Logging;
using Xmpp.Client;
using Xmpp.Notifications.Apprise;

namespace Xmpp.Notifications;

/// <summary>One URL's delivery: a connection per attempt, rooms joined once, acknowledgements collected, retries for what is left.</summary>
internal sealed partial class UrlDelivery(AppriseXmppUrl url, DeliveryPlan plan, XmppNotifierOptions options, ILogger logger)
{
    // Per planned message: the outcome so far. Delivered entries are never sent again.
    private readonly TargetOutcome?[] _outcomes = new TargetOutcome?[plan.Messages.Count];
    private readonly List<SubscriptionRequest> _subscriptionRequests = [];
    private TimeSpan _receiptTimeout = url.ReadTimeout;
    private bool _shortcutRefused;

    // Per planned message: one id for every attempt, sent as the stanza id and the XEP-0359 origin-id, so that a copy
    // re-sent after a lost acknowledgement can be recognised as the same message.
    // A message's own id (unique within the plan) is kept; the others get a random one.
    private readonly string[] _ids = plan.Messages.Select(m => m.Id ?? NewMessageId()).ToArray();

    /// <summary>The stanza id used for a planned message on every attempt.</summary>
    internal IReadOnlyList<string> MessageIds => _ids;

    private static string NewMessageId() => Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));

    public async Task<UrlOutcome> RunAsync(CancellationToken cancellationToken)
    {
        var redacted = url.ToString();
        NotifyFailureKind failure = NotifyFailureKind.None;
        string? error = null;
        var tokenRetried = false;
        for (var attempt = 0; attempt <= url.Retry; attempt++)
        {
            if (attempt > 0)
            {
                LogRetry(logger, redacted, attempt, url.Retry);
                await Task.Delay(TimeSpan.FromSeconds(url.Wait), cancellationToken).ConfigureAwait(false);
            }
            (failure, error) = await AttemptAsync(cancellationToken).ConfigureAwait(false);
            // A refused FAST token is forgotten by the client, and a login sent on server features that have changed
            // since is relearnt; nothing of that login was accepted: one more login, at once, authenticates with SCRAM
            // on the real offer. It does not count as a retry (the user's retry budget is for the network).
            if (_shortcutRefused && !tokenRetried)
            {
                (_shortcutRefused, tokenRetried) = (false, true);
                attempt--;
                continue;
            }
            if (!ShouldRetry(failure))
                break;
        }
        var targets = plan.Messages.Select((m, i) => _outcomes[i] ?? new TargetOutcome(m.Target.ToString(), TargetStatus.NotSent, failure, error))
            .Concat(plan.InvalidTargets)
            .ToList();
        if (failure == NotifyFailureKind.None && targets.Count == 0)
            (failure, error) = (NotifyFailureKind.Rejected, "no valid target to deliver to");
        return new UrlOutcome(redacted, url.Optional, targets, failure, error) { SubscriptionRequests = _subscriptionRequests };
    }

    /// <summary>Bad credentials, an untrusted certificate or a refusal will not heal by retrying; lost connections and silence may.</summary>
    private bool ShouldRetry(NotifyFailureKind failure) =>
        failure is NotifyFailureKind.Connection or NotifyFailureKind.Timeout or NotifyFailureKind.Protocol
        || (failure == NotifyFailureKind.None && _outcomes.Any(o => o is { Failure: NotifyFailureKind.Unacknowledged }));

    private async Task<(NotifyFailureKind, string?)> AttemptAsync(CancellationToken cancellationToken)
    {
        // Delivered, skipped, stored-but-unconfirmed and offline targets are settled: sending again would duplicate.
        var pending = Enumerable.Range(0, plan.Messages.Count).Where(i => _outcomes[i] is not
            ({ Status: TargetStatus.Delivered or TargetStatus.Skipped } or { Failure: NotifyFailureKind.NoReceipt or NotifyFailureKind.Offline })).ToList();
        if (pending.Count == 0)
            return (NotifyFailureKind.None, null);
        var receipts = url.ReceiptsGiven ? url.Receipts : options.Receipts ?? url.Receipts;
        var clientOptions = url.ToClientOptions();
        // One short session: the messages travel with the bind request, and a ping answer proves them.
        clientOptions.PipelineLogin = true;
        // FAST (where a server offers SASL2 with it): tokens live in this process's memory only.
        clientOptions.FastTokens = InMemoryFastTokenStore.Process;
        options.ConfigureClient?.Invoke(clientOptions);
        _receiptTimeout = clientOptions.ResponseTimeout; // rto, unless the host overrides it
        await using var client = new XmppClient(clientOptions);
        try
        {
            await client.ConnectAsync(cancellationToken).ConfigureAwait(false);
            XmppNotificationsTelemetry.Step("connect", ("server.address", url.ConnectHost), ("server.port", url.Port));
            if (client.IsEncrypted)
                XmppNotificationsTelemetry.Step("tls");
            await client.AuthenticateAsync(cancellationToken).ConfigureAwait(false);
            XmppNotificationsTelemetry.Step("authenticate", ("xmpp.sasl.mechanism", client.Mechanism));
            if (url.NeedsPresence(receipts))
                await client.SendPresenceAsync(-1, cancellationToken).ConfigureAwait(false);
            var rooms = await JoinRoomsAsync(client, pending, cancellationToken).ConfigureAwait(false);
            var offline = await OfflineContactsAsync(client, pending, cancellationToken).ConfigureAwait(false);
            var sent = new Dictionary<string, int>(StringComparer.Ordinal);
            var awaitingReceipt = new List<(string Id, int Index)>();
            foreach (var index in pending)
            {
                var message = plan.Messages[index];
                if (message.Type == MessageType.Groupchat && !rooms.Contains(message.Target.Jid))
                    continue; // outcome already set by the failed join
                var person = message.Target.Kind != XmppTargetKind.Groupchat;
                if (person && offline.Contains(message.Target.Jid.Bare))
                {
                    _outcomes[index] = url.Offline == OfflinePolicy.Skip
                        ? new TargetOutcome(message.Target.ToString(), TargetStatus.Skipped, NotifyFailureKind.None, "the recipient is offline; not sent (offline=skip)")
                        : new TargetOutcome(message.Target.ToString(), TargetStatus.Failed, NotifyFailureKind.Offline, "the recipient is offline; not sent (offline=fail)");
                    continue;
                }
                var id = await SendAsync(client, index, person && receipts != ReceiptMode.Off, cancellationToken).ConfigureAwait(false);
                if (id is null)
                    continue;
                sent[id] = index;
                XmppNotificationsTelemetry.Step("send", ("messaging.message.id", id), ("messaging.destination.name", message.Target.Jid.ToString()));
                if (person && receipts != ReceiptMode.Off)
                    awaitingReceipt.Add((id, index));
            }
            var confirmed = await WaitForReceiptsAsync(client, awaitingReceipt, cancellationToken).ConfigureAwait(false);
            var report = await client.DisconnectAsync(cancellationToken).ConfigureAwait(false);
            // Stryker disable once Linq : the list's Count property is no LINQ call; the mutant does not compile.
            XmppNotificationsTelemetry.Step("acknowledge", ("xmpp.acknowledged_count", report.Acknowledged.Count), ("xmpp.bounced_count", report.Bounced.Count));
            Record(report, sent, receipts, confirmed, client);
            return (NotifyFailureKind.None, null);
        }
        catch (XmppException e)
        {
            _shortcutRefused = e is XmppAuthenticationException { IsTokenFailure: true } or XmppProtocolException { IsStaleServerKnowledge: true };
            return (Classify(e), e.Message);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Never an untyped escape: the caller gets an outcome for every message, whatever broke.
            return (NotifyFailureKind.Protocol, $"the delivery failed unexpectedly ({e.GetType().Name}): {e.Message}");
        }
        finally
        {
            RecordSubscriptionRequests(client);
        }
    }

    /// <summary>Sends one planned message and returns its stanza id; null when the stanza could not be built (that message's outcome is set).</summary>
    private async Task<string?> SendAsync(XmppClient client, int index, bool requestReceipt, CancellationToken cancellationToken)
    {
        var message = plan.Messages[index];
        try
        {
            return await client.SendMessageAsync(new OutgoingMessage(message.Target.Jid, message.Content.Body)
            {
                Type = message.Type,
                Subject = message.Content.Subject,
                XhtmlBody = message.Content.XhtmlBody,
                Id = _ids[index],
                OriginId = _ids[index],
                ExtensionXml = message.ExtensionXml,
                RequestReceipt = requestReceipt,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            // Raw extension XML or an id the stanza cannot carry: this message fails, the others go on.
            _outcomes[index] = new TargetOutcome(message.Target.ToString(), TargetStatus.Failed, NotifyFailureKind.Rejected, "the message could not be built: " + e.Message);
            return null;
        }
    }

    /// <summary>With <c>offline=skip|fail</c>: the person targets whose presence shows no available client.</summary>
    private async Task<HashSet<Jid>> OfflineContactsAsync(XmppClient client, List<int> pending, CancellationToken cancellationToken)
    {
        if (url.Offline == OfflinePolicy.Send)
            return [];
        var contacts = pending.Select(i => plan.Messages[i].Target).Where(t => t.Kind != XmppTargetKind.Groupchat).Select(t => t.Jid.Bare).Distinct().ToList();
        if (contacts.Count == 0)
            return [];
        var presence = await client.WaitForPresenceAsync(contacts, cancellationToken).ConfigureAwait(false);
        // Only a known absence counts: a contact whose presence this account may not see is sent to, as before.
        return presence.Where(p => p.IsOffline).Select(p => p.Contact).ToHashSet();
    }

    /// <summary>
    /// After the server acknowledged everything: waits up to <c>rto</c> for the receipts, ending early for recipients
    /// whose presence shows them offline (they cannot answer). Returns the receipts that arrived, by message id.
    /// </summary>
    private async Task<Dictionary<string, Jid>> WaitForReceiptsAsync(XmppClient client, List<(string Id, int Index)> awaiting, CancellationToken cancellationToken)
    {
        var confirmed = new Dictionary<string, Jid>(StringComparer.Ordinal);
        if (awaiting.Count == 0)
            return confirmed;
        try
        {
            await client.WaitForDeliveryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (XmppException)
        {
            return confirmed; // DisconnectAsync reports what the server did not acknowledge
        }
        var open = awaiting.Select(a => (a.Id, To: plan.Messages[a.Index].Target.Jid, Task: client.ReceiptAsync(a.Id, plan.Messages[a.Index].Target.Jid))).ToList();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_receiptTimeout);
        // Recipients whose presence is still unknown: their last activity can tell that they are offline (ejabberd
        // sends no presence for them), which ends their wait early.
        var confirming = client.ConfirmOfflineAsync(open.Select(o => o.To.Bare).Distinct().ToList(), deadline.Token);
        try
        {
            await WaitForOpenReceiptsAsync(client, open, confirmed, deadline).ConfigureAwait(false);
        }
        finally
        {
            await deadline.CancelAsync().ConfigureAwait(false);
            await confirming.ConfigureAwait(false);
        }
        // Stryker disable once Statement : without it the caller's cancellation still ends the attempt, in DisconnectAsync
        cancellationToken.ThrowIfCancellationRequested();
        return confirmed;
    }

    private static async Task WaitForOpenReceiptsAsync(XmppClient client, List<(string Id, Jid To, Task<Jid> Task)> open, Dictionary<string, Jid> confirmed, CancellationTokenSource deadline)
    {
        while (!deadline.IsCancellationRequested)
        {
            foreach (var answered in open.Where(o => o.Task.IsCompletedSuccessfully).ToList())
            {
                confirmed[answered.Id] = await answered.Task.ConfigureAwait(false);
                open.Remove(answered);
            }
            open.RemoveAll(o => client.GetPresence(o.To).IsOffline);
            if (open.Count == 0)
                break;
            // Receipts end the wait at once; presence changes are looked at every 100 ms.
            var tick = Task.Delay(TimeSpan.FromMilliseconds(100), deadline.Token);
            await Task.WhenAny(open.Select(o => (Task)o.Task).Append(tick)).ConfigureAwait(false);
        }
    }

    private void RecordSubscriptionRequests(XmppClient client)
    {
        foreach (var request in client.SubscriptionRequests)
        {
            if (!_subscriptionRequests.Contains(request))
            {
                _subscriptionRequests.Add(request);
                LogSubscriptionRequest(logger, request.From, request.Answer);
            }
        }
    }

    private async Task<HashSet<Jid>> JoinRoomsAsync(XmppClient client, List<int> pending, CancellationToken cancellationToken)
    {
        var joined = new HashSet<Jid>();
        foreach (var room in pending.Select(i => plan.Messages[i]).Where(m => m.Type == MessageType.Groupchat).Select(m => m.Target.Jid).Distinct())
        {
            try
            {
                await client.JoinRoomAsync(room, url.Nick, cancellationToken: cancellationToken).ConfigureAwait(false);
                joined.Add(room);
            }
            catch (MucJoinException e)
            {
                foreach (var index in pending.Where(i => plan.Messages[i].Target.Jid == room))
                    _outcomes[index] = new TargetOutcome(plan.Messages[index].Target.ToString(), TargetStatus.Failed, NotifyFailureKind.Rejected, e.Message);
            }
        }
        return joined;
    }

    private void Record(DeliveryReport report, Dictionary<string, int> sent, ReceiptMode receipts, Dictionary<string, Jid> confirmed, XmppClient client)
    {
        foreach (var id in report.Acknowledged)
        {
            if (sent.TryGetValue(id, out var index))
                _outcomes[index] = WithReceipt(plan.Messages[index], id, receipts, confirmed, client);
        }
        foreach (var bounce in report.Bounced)
        {
            if (sent.TryGetValue(bounce.Id, out var index))
                _outcomes[index] = new TargetOutcome(plan.Messages[index].Target.ToString(), TargetStatus.Failed, NotifyFailureKind.Rejected, $"the server returned {bounce.Error}");
        }
        foreach (var id in report.Unacknowledged)
        {
            if (sent.TryGetValue(id, out var index))
                _outcomes[index] = new TargetOutcome(plan.Messages[index].Target.ToString(), TargetStatus.Failed, NotifyFailureKind.Unacknowledged, "the server did not acknowledge the message");
        }
    }

    /// <summary>The outcome of a message the server accepted, with what its recipient's client said.</summary>
    private TargetOutcome WithReceipt(PlannedMessage message, string id, ReceiptMode receipts, Dictionary<string, Jid> confirmed, XmppClient client)
    {
        var target = message.Target.ToString();
        if (receipts == ReceiptMode.Off)
            return new TargetOutcome(target, TargetStatus.Delivered);
        if (message.Target.Kind == XmppTargetKind.Groupchat)
            return new TargetOutcome(target, TargetStatus.Delivered) { Receipt = ReceiptStatus.NotApplicable };
        if (confirmed.TryGetValue(id, out var by))
            return new TargetOutcome(target, TargetStatus.Delivered) { Receipt = ReceiptStatus.Received, ReceivedBy = by.ToString() };
        var offline = client.GetPresence(message.Target.Jid).IsOffline;
        var status = offline ? ReceiptStatus.RecipientOffline : ReceiptStatus.Missing;
        var reason = offline
            ? "the recipient is offline; the server stored the message, no client has confirmed it"
            : $"no receipt from the recipient's client within {_receiptTimeout.TotalSeconds:0.###} s (rto): offline without presence shared with this account, or a client without XEP-0184 receipts";
        return receipts == ReceiptMode.Require
            ? new TargetOutcome(target, TargetStatus.Failed, NotifyFailureKind.NoReceipt, reason + " (receipts=require)") { Receipt = status }
            : new TargetOutcome(target, TargetStatus.Delivered, NotifyFailureKind.None, reason) { Receipt = status };
    }

    internal static NotifyFailureKind Classify(XmppException e) => e switch
    {
        XmppConnectException => NotifyFailureKind.Connection,
        XmppTlsException => NotifyFailureKind.Tls,
        XmppAuthenticationException => NotifyFailureKind.Authentication,
        XmppTimeoutException => NotifyFailureKind.Timeout,
        // No usable WebSocket endpoint is a failure to connect; a server that did not answer in time may answer later.
        XmppDiscoveryException { Reason: DiscoveryFailure.Timeout } => NotifyFailureKind.Timeout,
        XmppDiscoveryException => NotifyFailureKind.Connection,
        XmppStanzaErrorException => NotifyFailureKind.Rejected,
        _ => NotifyFailureKind.Protocol,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "XMPP subscription request from {Contact}: {Answer}")]
    private static partial void LogSubscriptionRequest(ILogger logger, Jid contact, SubscriptionPolicy answer);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retrying XMPP delivery to {Url} ({Attempt} of {Retries})")]
    private static partial void LogRetry(ILogger logger, string url, int attempt, int retries);
}
