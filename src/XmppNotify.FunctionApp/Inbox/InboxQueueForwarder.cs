using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Azure;
using Azure.Storage.Queues;
using Xmpp.Notifications;
using Xmpp.Notifications.Contracts.Inbox;

namespace XmppNotify.FunctionApp.Inbox;

/// <summary>
/// Puts each inbound item on an Azure Storage queue as one JSON message, in archive order: the item as the
/// <c>xmppInbox</c> input binding returns it (<c>kind</c>, <c>archiveId</c>, <c>id</c>, <c>from</c>, <c>to</c>,
/// <c>type</c>, <c>body</c>, <c>subject</c>, <c>thread</c>, <c>timestamp</c>, <c>stanza</c>, <c>truncated</c>).
/// </summary>
/// <remarks>
/// Messages are base64-encoded, the encoding host.json <c>queues:messageEncoding</c> gives queue-triggered functions,
/// so a queue trigger reads them as written. A queue message holds at most 64 KiB, 48 KiB of JSON once encoded: an item
/// over that goes without its stanza and with <c>truncated</c> set, its body cut if it still does not fit, rather than
/// failing every run. A message the queue service did not accept stops the batch with an
/// <see cref="InboxForwardException"/>, and the checkpoint stays where it was.
/// </remarks>
internal sealed class InboxQueueForwarder(QueueClient queue)
{
    public const string QueueNameSetting = "XmppInboxQueueName";
    public const string ConnectionSetting = "XmppInboxQueueConnection";

    /// <summary>The queue consumer's connection, used when <see cref="ConnectionSetting"/> is not set.</summary>
    public const string FallbackConnectionSetting = "XmppStorageQueueConnection";

    /// <summary>The most JSON one message takes: 64 KiB once base64-encoded.</summary>
    public const int MaxMessageBytes = 48 * 1024;

    public string QueueName => queue.Name;

    public static InboxQueueForwarder? FromSettings()
    {
        if (StorageConnection.Setting(QueueNameSetting) is not { } name)
            return null;
        var connection = StorageConnection.IsSet(ConnectionSetting) ? ConnectionSetting : FallbackConnectionSetting;
        var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        return new InboxQueueForwarder(StorageConnection.Queue(connection, options).GetQueueClient(name.Trim()));
    }

    public async Task ForwardAsync(IReadOnlyList<InboxItem> items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count == 0)
            return;
        for (var i = 0; i < items.Count; i++)
        {
            var message = BinaryData.FromBytes(Message(items[i]));
            try
            {
                try
                {
                    await queue.SendMessageAsync(message, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (RequestFailedException e) when (e.Status == 404)
                {
                    // Created on first use only (Azurite, a new queue name): in Azure the queue exists (Bicep) and the
                    // identity may add messages but not create queues, so creating it up front would be refused.
                    await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                    await queue.SendMessageAsync(message, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
            }
            catch (RequestFailedException e)
            {
                throw new InboxForwardException(
                    $"The inbox queue {queue.Name} did not take item {i + 1} of {items.Count} ({e.Status} {e.ErrorCode}); the checkpoint was not advanced.",
                    i, e.Status == 0 ? null : e.Status, e);
            }
        }
    }

    /// <summary>The message for one item, at most <see cref="MaxMessageBytes"/> of UTF-8 JSON.</summary>
    public static byte[] Message(InboxItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        var json = Json(item, item.Stanza, item.Body, item.Subject, item.Thread, item.Truncated);
        if (json.Length <= MaxMessageBytes)
            return json;
        // Without the stanza, then as much of the body as fits. Any sender can also fill the subject or the thread (only
        // the server's stanza limit bounds them): an item that never fits would fail every run and hold back every
        // item after it, so those are cut too, after the body is gone.
        string? Cut(string? text) => text is null ? null : "";
        return LongestThatFits(item.Body, body => Json(item, null, body, item.Subject, item.Thread, true))
            ?? LongestThatFits(item.Subject, subject => Json(item, null, Cut(item.Body), subject, item.Thread, true))
            ?? LongestThatFits(item.Thread, thread => Json(item, null, Cut(item.Body), Cut(item.Subject), thread, true))
            ?? Json(item, null, Cut(item.Body), Cut(item.Subject), Cut(item.Thread), true);
    }

    /// <summary>
    /// The JSON with the longest prefix of <paramref name="text"/> that fits, or null when even none of it fits. A
    /// character costs 1 to 12 bytes of JSON (one outside the BMP is written as two \u escapes), so search rather
    /// than estimate.
    /// </summary>
    private static byte[]? LongestThatFits(string? text, Func<string?, byte[]> json)
    {
        var whole = json(text);
        if (whole.Length <= MaxMessageBytes)
            return whole;
        if (text is not { Length: > 0 } || json("").Length > MaxMessageBytes)
            return null;
        var (fits, tooLong) = (0, text.Length);
        while (tooLong - fits > 1)
        {
            var middle = fits + ((tooLong - fits) / 2);
            if (json(Prefix(text, middle)).Length <= MaxMessageBytes)
                fits = middle;
            else
                tooLong = middle;
        }
        return json(Prefix(text, fits));
    }

    /// <summary>The first <paramref name="length"/> characters, one fewer rather than half a surrogate pair (not valid JSON text).</summary>
    private static string Prefix(string text, int length) =>
        length > 0 && char.IsHighSurrogate(text[length - 1]) ? text[..(length - 1)] : text[..length];

    private static byte[] Json(InboxItem item, string? stanza, string? body, string? subject, string? thread, bool truncated)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("kind", item.Kind);
            w.WriteString("archiveId", item.ArchiveId);
            w.WriteString("id", item.Id);
            w.WriteString("from", item.From);
            w.WriteString("to", item.To);
            w.WriteString("type", item.Type);
            w.WriteString("body", body);
            w.WriteString("subject", subject);
            w.WriteString("thread", thread);
            w.WriteString("timestamp", item.Timestamp?.ToString("O", CultureInfo.InvariantCulture));
            w.WriteString("stanza", stanza);
            w.WriteBoolean("truncated", truncated);
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
