using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Xmpp.Notifications;
using Xmpp.Notifications.Contracts.Inbox;

namespace XmppNotify.FunctionApp.Inbox;

/// <summary>
/// On a schedule (<see cref="InboxSchedule.DefaultSchedule"/>, or the app setting <c>XmppInboxSchedule</c>): reads what
/// arrived for the account after the checkpoint kept in blob storage, hands each item to every configured target, and
/// stores the new checkpoint only after every target took every item. Targets: <c>XmppInboxWebhookUrl</c> (a multipart
/// POST per item with the form fields <c>from</c>, <c>to</c>, <c>body</c>, <c>stanza</c>, <c>kind</c>,
/// <c>archiveId</c>) and <c>XmppInboxQueueName</c> (a JSON message per item on that Storage queue). Without either it
/// does nothing.
/// </summary>
/// <remarks>
/// The batch is read here rather than through the <c>xmppInbox</c> input binding because that binding's checkpoint
/// would have to come from another binding (the blob), which binding expressions cannot do. The account URL is the
/// app setting <c>XmppInboxConnection</c> (else <c>XmppConnection</c>) and must be the Apprise URL itself; in Azure use a
/// Key Vault reference (<c>@Microsoft.KeyVault(SecretUri=…)</c>), which the platform resolves before the worker sees it.
/// A target failure fails the invocation; the next run hands the same batch to every target again (at-least-once:
/// receivers deduplicate on <c>archiveId</c>).
/// </remarks>
public static partial class InboxForwarderFunction
{
    // One client for the process: a client per run would leave sockets in TIME_WAIT on every schedule tick.
    private static readonly HttpClient SharedHttp = new();

    [Function(InboxSchedule.FunctionName)]
    public static async Task Run([TimerTrigger(InboxSchedule.DefaultSchedule)] TimerInfo timer, FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var logger = context.GetLogger(nameof(InboxForwarderFunction));
        InboxWebhookForwarder? webhook = null;
        string? webhookHost = null;
        if (Environment.GetEnvironmentVariable("XmppInboxWebhookUrl") is { } webhookSetting && !string.IsNullOrWhiteSpace(webhookSetting))
        {
            if (!Uri.TryCreate(webhookSetting.Trim(), UriKind.Absolute, out var webhookUri))
                throw new InvalidOperationException("The app setting XmppInboxWebhookUrl is not an absolute URL.");
            var timeout = int.TryParse(Environment.GetEnvironmentVariable("XmppInboxWebhookTimeoutSeconds"), out var t) && t > 0 ? t : 30;
            webhook = new InboxWebhookForwarder(SharedHttp, webhookUri, TimeSpan.FromSeconds(timeout));
            webhookHost = webhookUri.Host;
        }
        var queue = InboxQueueForwarder.FromSettings();
        if (webhook is null && queue is null)
        {
            LogOff(logger);
            return;
        }
        var url = Environment.GetEnvironmentVariable("XmppInboxConnection") is { Length: > 0 } own
            ? own
            : Environment.GetEnvironmentVariable("XmppConnection")
              ?? throw new InvalidOperationException("Neither XmppInboxConnection nor XmppConnection is set.");
        var maxItems = int.TryParse(Environment.GetEnvironmentVariable("XmppInboxMaxItems"), out var m) ? m : 100;

        var targets = Targets(webhookHost, queue?.QueueName);
        var store = BlobCheckpointStore.FromSettings();
        var inbox = new XmppInbox();
        var result = await InboxForwarding.RunAsync<InboxItem>(
            store,
            async (checkpoint, ct) =>
            {
                var batch = await inbox.FetchAsync(url, checkpoint, new InboxOptions { MaxItems = maxItems }, ct).ConfigureAwait(false);
                if (batch.Failure != NotifyFailureKind.None)
                    throw new InvalidOperationException($"The inbox could not be read ({batch.Failure}): {batch.Error}");
                return new InboxFetched<InboxItem>(batch.Checkpoint, batch.More, batch.Items);
            },
            async (items, ct) =>
            {
                // Target after target: the checkpoint moves only once all of them took the whole batch.
                if (webhook is not null)
                    await webhook.ForwardAsync([.. items.Select(i => new InboxWebhookItem(i.Kind, i.ArchiveId, i.From, i.To, i.Body, i.Stanza))], ct).ConfigureAwait(false);
                if (queue is not null)
                    await queue.ForwardAsync(items, ct).ConfigureAwait(false);
            },
            context.CancellationToken).ConfigureAwait(false);
        LogForwarded(logger, result.Forwarded, targets, result.CheckpointAdvanced, result.More);
    }

    private static string Targets(string? webhookHost, string? queueName) =>
        string.Join(" and ", new[] { webhookHost is null ? null : "webhook " + webhookHost, queueName is null ? null : "queue " + queueName }.OfType<string>());

    [LoggerMessage(Level = LogLevel.Information, Message = "Inbox forwarding is off: neither XmppInboxWebhookUrl nor XmppInboxQueueName is set")]
    private static partial void LogOff(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Forwarded {Count} inbound item(s) to {Targets}; checkpoint advanced: {Advanced}; more waiting: {More}")]
    private static partial void LogForwarded(ILogger logger, int count, string targets, bool advanced, bool more);
}
