using Microsoft.Extensions.Logging;
using Xmpp.Client;
using Xmpp.Notifications.Apprise;

namespace Xmpp.Notifications;

/// <summary>One URL's delivery: a connection per attempt, rooms joined once, acknowledgements collected, retries for what is left.</summary>
internal sealed partial class UrlDelivery(AppriseXmppUrl url, DeliveryPlan plan, XmppNotifierOptions options, ILogger logger)
{
    // Per planned message: the outcome so far. Delivered entries are never sent again.
    private readonly TargetOutcome?[] _outcomes = new TargetOutcome?[plan.Messages.Count];

    public async Task<UrlOutcome> RunAsync(CancellationToken cancellationToken)
    {
        var redacted = url.ToString();
        NotifyFailureKind failure = NotifyFailureKind.None;
        string? error = null;
        for (var attempt = 0; attempt <= url.Retry; attempt++)
        {
            if (attempt > 0)
            {
                LogRetry(logger, redacted, attempt, url.Retry);
                await Task.Delay(TimeSpan.FromSeconds(url.Wait), cancellationToken).ConfigureAwait(false);
            }
            (failure, error) = await AttemptAsync(cancellationToken).ConfigureAwait(false);
            if (!ShouldRetry(failure))
                break;
        }
        var targets = plan.Messages.Select((m, i) => _outcomes[i] ?? new TargetOutcome(m.Target.ToString(), TargetStatus.NotSent, failure, error))
            .Concat(plan.InvalidTargets)
            .ToList();
        if (failure == NotifyFailureKind.None && targets.Count == 0)
            (failure, error) = (NotifyFailureKind.Rejected, "no valid target to deliver to");
        return new UrlOutcome(redacted, url.Optional, targets, failure, error);
    }

    /// <summary>Bad credentials, an untrusted certificate or a refusal will not heal by retrying; lost connections and silence may.</summary>
    private bool ShouldRetry(NotifyFailureKind failure) =>
        failure is NotifyFailureKind.Connection or NotifyFailureKind.Timeout or NotifyFailureKind.Protocol
        || (failure == NotifyFailureKind.None && _outcomes.Any(o => o is { Failure: NotifyFailureKind.Unacknowledged }));

    private async Task<(NotifyFailureKind, string?)> AttemptAsync(CancellationToken cancellationToken)
    {
        var pending = Enumerable.Range(0, plan.Messages.Count).Where(i => _outcomes[i] is not { Status: TargetStatus.Delivered }).ToList();
        if (pending.Count == 0)
            return (NotifyFailureKind.None, null);
        var clientOptions = url.ToClientOptions();
        options.ConfigureClient?.Invoke(clientOptions);
        await using var client = new XmppClient(clientOptions);
        try
        {
            await client.LoginAsync(cancellationToken).ConfigureAwait(false);
            var rooms = await JoinRoomsAsync(client, pending, cancellationToken).ConfigureAwait(false);
            var sent = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var index in pending)
            {
                var message = plan.Messages[index];
                if (message.Type == MessageType.Groupchat && !rooms.Contains(message.Target.Jid))
                    continue; // outcome already set by the failed join
                var id = await client.SendMessageAsync(new OutgoingMessage(message.Target.Jid, message.Content.Body)
                {
                    Type = message.Type,
                    Subject = message.Content.Subject,
                    XhtmlBody = message.Content.XhtmlBody,
                }, cancellationToken).ConfigureAwait(false);
                sent[id] = index;
            }
            var report = await client.DisconnectAsync(cancellationToken).ConfigureAwait(false);
            Record(report, sent);
            return (NotifyFailureKind.None, null);
        }
        catch (XmppException e)
        {
            return (Classify(e), e.Message);
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

    private void Record(DeliveryReport report, Dictionary<string, int> sent)
    {
        foreach (var id in report.Acknowledged)
        {
            if (sent.TryGetValue(id, out var index))
                _outcomes[index] = new TargetOutcome(plan.Messages[index].Target.ToString(), TargetStatus.Delivered);
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

    internal static NotifyFailureKind Classify(XmppException e) => e switch
    {
        XmppConnectException => NotifyFailureKind.Connection,
        XmppTlsException => NotifyFailureKind.Tls,
        XmppAuthenticationException => NotifyFailureKind.Authentication,
        XmppTimeoutException => NotifyFailureKind.Timeout,
        XmppStanzaErrorException => NotifyFailureKind.Rejected,
        _ => NotifyFailureKind.Protocol,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Retrying XMPP delivery to {Url} ({Attempt} of {Retries})")]
    private static partial void LogRetry(ILogger logger, string url, int attempt, int retries);
}
