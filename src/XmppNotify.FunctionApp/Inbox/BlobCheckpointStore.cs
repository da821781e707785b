using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Xmpp.Notifications.Contracts.Inbox;

namespace XmppNotify.FunctionApp.Inbox;

/// <summary>
/// The checkpoint as one blob (<c>XmppInboxCheckpointContainer</c>, default <c>xmpp-inbox</c>; blob <c>checkpoint</c>)
/// on the connection <c>XmppInboxCheckpointConnection</c> (see <see cref="StorageConnection"/>). Writes are conditional
/// on the ETag read (the first one on the blob not existing yet), so a run that overlapped another cannot move the
/// checkpoint back: the later writer fails with 412 and its batch comes again next time.
/// </summary>
internal sealed class BlobCheckpointStore(BlobContainerClient container) : IInboxCheckpointStore
{
    public const string ConnectionSetting = "XmppInboxCheckpointConnection";
    public const string BlobName = "checkpoint";

    private readonly BlobClient _blob = container.GetBlobClient(BlobName);
    private ETag? _etag;

    public static BlobCheckpointStore FromSettings()
    {
        var containerName = StorageConnection.Setting("XmppInboxCheckpointContainer") ?? "xmpp-inbox";
        return new BlobCheckpointStore(StorageConnection.Blob(ConnectionSetting).GetBlobContainerClient(containerName));
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
            // No blob, or no container yet: start from now.
            _etag = null;
            return null;
        }
    }

    public async Task WriteAsync(string checkpoint, CancellationToken cancellationToken)
    {
        var conditions = _etag is { } etag ? new BlobRequestConditions { IfMatch = etag } : new BlobRequestConditions { IfNoneMatch = ETag.All };
        if (_etag is null)
            await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            var response = await _blob.UploadAsync(BinaryData.FromString(checkpoint), new BlobUploadOptions { Conditions = conditions }, cancellationToken).ConfigureAwait(false);
            _etag = response.Value.ETag;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            throw new InvalidOperationException(
                $"The inbox checkpoint blob {container.Name}/{BlobName} was changed by another run since it was read ({e.Status} {e.ErrorCode}); it was left as that run wrote it, and this batch comes again on the next run.", e);
        }
    }
}
