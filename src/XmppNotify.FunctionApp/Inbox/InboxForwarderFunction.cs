using Azure;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Xmpp.Notifications;
using Xmpp.Notifications.Contracts.Inbox;

namespace XmppNotify.FunctionApp.Inbox;

/// <summary>
/// On the schedule <c>%XmppInboxSchedule%</c>: reads what arrived for the account after the checkpoint kept in blob
/// storage, posts each item to <c>XmppInboxWebhookUrl</c> (multipart form fields <c>from</c>, <c>to</c>, <c>body</c>,
/// <c>stanza</c>, <c>kind</c>, <c>archiveId</c>), and stores the new checkpoint only after every item was taken.
/// Without <c>XmppInboxWebhookUrl</c> it does nothing.
/// </summary>
/// <remarks>
/// The batch is read here rather than through the <c>xmppInbox</c> input binding because that binding's checkpoint
/// would have to come from another binding (the blob), which binding expressions cannot do. The account URL is the
/// app setting <c>XmppInboxConnection</c> (else <c>XmppConnection</c>) and must be the Apprise URL itself; in Azure use a
/// Key Vault reference (<c>@Microsoft.KeyVault(SecretUri=…)</c>), which the platform resolves before the worker sees it.
/// A webhook failure fails the invocation; the next run posts the same batch again (at-least-once).
/// </remarks>
public static partial class InboxForwarderFunction
{
    // One client for the process: a client per run would leave sockets in TIME_WAIT on every schedule tick.
    private static readonly HttpClient SharedHttp = new();

    [Function("InboxForwarder")]
    public static async Task Run([TimerTrigger("%XmppInboxSchedule%")] TimerInfo timer, FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var logger = context.GetLogger(nameof(InboxForwarderFunction));
        var webhook = Environment.GetEnvironmentVariable("XmppInboxWebhookUrl");
        if (string.IsNullOrWhiteSpace(webhook))
        {
            LogOff(logger);
            return;
        }
        if (!Uri.TryCreate(webhook, UriKind.Absolute, out var webhookUri))
            throw new InvalidOperationException("The app setting XmppInboxWebhookUrl is not an absolute URL.");
        var url = Environment.GetEnvironmentVariable("XmppInboxConnection") is { Length: > 0 } own
            ? own
            : Environment.GetEnvironmentVariable("XmppConnection")
              ?? throw new InvalidOperationException("Neither XmppInboxConnection nor XmppConnection is set.");
        var maxItems = int.TryParse(Environment.GetEnvironmentVariable("XmppInboxMaxItems"), out var m) ? m : 100;
        var timeout = int.TryParse(Environment.GetEnvironmentVariable("XmppInboxWebhookTimeoutSeconds"), out var t) && t > 0 ? t : 30;

        var forwarder = new InboxWebhookForwarder(SharedHttp, webhookUri, TimeSpan.FromSeconds(timeout));
        var store = BlobCheckpointStore.FromSettings();
        var inbox = new XmppInbox();
        var result = await InboxForwarding.RunAsync(
            store,
            async (checkpoint, ct) =>
            {
                var batch = await inbox.FetchAsync(url, checkpoint, new InboxOptions { MaxItems = maxItems }, ct).ConfigureAwait(false);
                if (batch.Failure != NotifyFailureKind.None)
                    throw new InvalidOperationException($"The inbox could not be read ({batch.Failure}): {batch.Error}");
                return new InboxBatchJson(batch.Checkpoint, batch.More,
                    [.. batch.Items.Select(i => new InboxWebhookItem(i.Kind, i.ArchiveId, i.From, i.To, i.Body, i.Stanza))]);
            },
            forwarder.ForwardAsync,
            context.CancellationToken).ConfigureAwait(false);
        LogForwarded(logger, result.Forwarded, webhookUri.Host, result.CheckpointAdvanced, result.More);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Inbox forwarding is off: the app setting XmppInboxWebhookUrl is not set")]
    private static partial void LogOff(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Forwarded {Count} inbound item(s) to {Host}; checkpoint advanced: {Advanced}; more waiting: {More}")]
    private static partial void LogForwarded(ILogger logger, int count, string host, bool advanced, bool more);
}

/// <summary>
/// The checkpoint as one blob (<c>XmppInboxCheckpointContainer</c>, default <c>xmpp-inbox</c>; blob <c>checkpoint</c>).
/// Connection <c>XmppInboxCheckpointConnection</c>: a connection string, or <c>__blobServiceUri</c> (plus optional
/// <c>__clientId</c> for a user-assigned identity) for a managed identity. Writes are conditional on the ETag read, so
/// a run that overlapped another cannot move the checkpoint back.
/// </summary>
internal sealed class BlobCheckpointStore(BlobContainerClient container) : IInboxCheckpointStore
{
    private readonly BlobClient _blob = container.GetBlobClient("checkpoint");
    private ETag? _etag;

    public static BlobCheckpointStore FromSettings()
    {
        const string Connection = "XmppInboxCheckpointConnection";
        var containerName = Environment.GetEnvironmentVariable("XmppInboxCheckpointContainer") is { Length: > 0 } c ? c : "xmpp-inbox";
        BlobServiceClient service;
        if (Environment.GetEnvironmentVariable(Connection) is { Length: > 0 } connectionString)
        {
            service = new BlobServiceClient(connectionString);
        }
        else if (Environment.GetEnvironmentVariable(Connection + "__blobServiceUri") is { Length: > 0 } serviceUri)
        {
            var clientId = Environment.GetEnvironmentVariable(Connection + "__clientId");
            service = new BlobServiceClient(new Uri(serviceUri), string.IsNullOrEmpty(clientId)
                ? new DefaultAzureCredential()
                : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId)));
        }
        else
        {
            throw new InvalidOperationException($"Set {Connection} (connection string) or {Connection}__blobServiceUri for the inbox checkpoint.");
        }
        return new BlobCheckpointStore(service.GetBlobContainerClient(containerName));
    }

    public async Task<string?> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            var content = await _blob.DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            _etag = content.Value.Details.ETag;
            var text = content.Value.Content.ToString().Trim();
            return text.Length == 0 ? null : text;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            _etag = null;
            return null;
        }
    }

    public async Task WriteAsync(string checkpoint, CancellationToken cancellationToken)
    {
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var conditions = _etag is { } etag ? new BlobRequestConditions { IfMatch = etag } : new BlobRequestConditions { IfNoneMatch = ETag.All };
        var response = await _blob.UploadAsync(BinaryData.FromString(checkpoint), new BlobUploadOptions { Conditions = conditions }, cancellationToken).ConfigureAwait(false);
        _etag = response.Value.ETag;
    }
}
