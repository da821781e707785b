using System.Net.Http.Headers;
using System.Text.Json;
using Xmpp.Notifications.Contracts.Requests;

namespace Xmpp.Notifications.Contracts.Inbox;

/// <summary>One inbound item as a webhook receives it: the fields the platform API posted.</summary>
public sealed record InboxWebhookItem(string Kind, string? ArchiveId, string? From, string? To, string? Body, string? Stanza);

/// <summary>
/// A batch as the <c>xmppInbox</c> input binding returns it (<c>{checkpoint, more, source, items: […]}</c>), reduced to
/// what forwarding needs.
/// </summary>
public sealed record InboxBatchJson(string? Checkpoint, bool More, IReadOnlyList<InboxWebhookItem> Items)
{
    /// <summary>Reads the binding's JSON; anything that is not that shape is a <see cref="NotificationFormatException"/>.</summary>
    public static InboxBatchJson Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new NotificationFormatException("The inbox batch is not a JSON object.");
            var items = new List<InboxWebhookItem>();
            if (root.TryGetProperty("items", out var array))
            {
                if (array.ValueKind != JsonValueKind.Array)
                    throw new NotificationFormatException("The inbox batch's 'items' is not an array.");
                foreach (var item in array.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.Object)
                        throw new NotificationFormatException("An inbox item is not a JSON object.");
                    items.Add(new InboxWebhookItem(
                        Text(item, "kind") ?? "message", Text(item, "archiveId"), Text(item, "from"), Text(item, "to"),
                        Text(item, "body"), Text(item, "stanza")));
                }
            }
            var more = root.TryGetProperty("more", out var m) && m.ValueKind == JsonValueKind.True;
            return new InboxBatchJson(Text(root, "checkpoint"), more, items);
        }
        catch (JsonException e)
        {
            throw new NotificationFormatException($"The inbox batch is not valid JSON: {e.Message}");
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

/// <summary>A fetched batch: its items and the checkpoint that follows them.</summary>
public sealed record InboxFetched<TItem>(string? Checkpoint, bool More, IReadOnlyList<TItem> Items);

/// <summary>Where the forwarder keeps its checkpoint (a blob in the function app).</summary>
public interface IInboxCheckpointStore
{
    /// <summary>The stored checkpoint, or null when there is none yet (the inbox then starts from now).</summary>
    Task<string?> ReadAsync(CancellationToken cancellationToken);

    Task WriteAsync(string checkpoint, CancellationToken cancellationToken);
}

/// <summary>A webhook did not take an item: the checkpoint stays where it was, so the item comes again next time.</summary>
public sealed class InboxForwardException(string message, int itemIndex, int? statusCode, Exception? inner = null)
    : Exception(message, inner)
{
    /// <summary>Index in the batch of the item that was not taken; the items before it were posted.</summary>
    public int ItemIndex { get; } = itemIndex;

    /// <summary>The webhook's status, or null when it did not answer (timeout, connection failure).</summary>
    public int? StatusCode { get; } = statusCode;
}

/// <summary>What one forwarding run did.</summary>
public sealed record InboxForwardResult(int Forwarded, string? Checkpoint, bool CheckpointAdvanced, bool More);

/// <summary>
/// Posts inbound items to a webhook as <c>multipart/form-data</c> with the fields <c>from</c>, <c>to</c>, <c>body</c> and
/// <c>stanza</c> (plus <c>kind</c> and <c>archiveId</c>), one request per item, in archive order.
/// </summary>
/// <remarks>
/// Only a 2xx answer counts as taken. Any other status, a timeout or a connection failure stops the batch with an
/// <see cref="InboxForwardException"/>; the checkpoint is not advanced, so the whole batch is posted again on the next
/// run (at-least-once: receivers deduplicate on <c>archiveId</c>). The exception names the webhook's host only,
/// because webhook URLs often carry a key in their query.
/// </remarks>
public sealed class InboxWebhookForwarder
{
    private readonly HttpClient _http;
    private readonly Uri _webhook;
    private readonly TimeSpan _timeout;

    public InboxWebhookForwarder(HttpClient http, Uri webhook, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(webhook);
        if (!webhook.IsAbsoluteUri || (webhook.Scheme != Uri.UriSchemeHttps && webhook.Scheme != Uri.UriSchemeHttp))
            throw new ArgumentException("The inbox webhook must be an absolute http or https URL.", nameof(webhook));
        _http = http;
        _webhook = webhook;
        _timeout = timeout ?? TimeSpan.FromSeconds(30);
        if (_timeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(timeout), "The webhook timeout must be positive.");
    }

    /// <summary>The request for one item (exposed so its shape can be checked without a server).</summary>
    public static MultipartFormDataContent Content(InboxWebhookItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        var form = new MultipartFormDataContent();
        Add(form, "from", item.From);
        Add(form, "to", item.To);
        Add(form, "body", item.Body);
        Add(form, "stanza", item.Stanza);
        Add(form, "kind", item.Kind);
        Add(form, "archiveId", item.ArchiveId);
        return form;
    }

    private static void Add(MultipartFormDataContent form, string name, string? value)
    {
        var part = new StringContent(value ?? string.Empty);
        part.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "utf-8" };
        form.Add(part, name);
    }

    /// <summary>Posts every item; returns when all were taken, throws <see cref="InboxForwardException"/> at the first that was not.</summary>
    public async Task ForwardAsync(IReadOnlyList<InboxWebhookItem> items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        for (var i = 0; i < items.Count; i++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_timeout);
            using var content = Content(items[i]);
            try
            {
                using var response = await _http.PostAsync(_webhook, content, timeout.Token).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                    throw new InboxForwardException(
                        $"The inbox webhook at {_webhook.Host} answered {(int)response.StatusCode} for item {i + 1} of {items.Count}; the checkpoint was not advanced.",
                        i, (int)response.StatusCode);
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw new InboxForwardException(
                    $"The inbox webhook at {_webhook.Host} did not answer within {_timeout.TotalSeconds:0.#} s for item {i + 1} of {items.Count}; the checkpoint was not advanced.",
                    i, null, e);
            }
            catch (HttpRequestException e)
            {
                throw new InboxForwardException(
                    $"The inbox webhook at {_webhook.Host} could not be reached for item {i + 1} of {items.Count} ({e.HttpRequestError}); the checkpoint was not advanced.",
                    i, null, e);
            }
        }
    }
}

/// <summary>One run: read the checkpoint, fetch the batch after it, forward every item, and only then store the new checkpoint.</summary>
public static class InboxForwarding
{
    /// <param name="fetchBatchJson">Reads the batch after a checkpoint (null: from now), as the input binding's JSON.</param>
    public static async Task<InboxForwardResult> RunAsync(
        IInboxCheckpointStore store, Func<string?, CancellationToken, Task<string>> fetchBatchJson,
        Func<IReadOnlyList<InboxWebhookItem>, CancellationToken, Task> forward, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(fetchBatchJson);
        return await RunAsync(
            store, async (c, ct) => InboxBatchJson.Parse(await fetchBatchJson(c, ct).ConfigureAwait(false)), forward, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <param name="fetchBatch">Reads the batch after a checkpoint (null: from now); throws when the batch could not be read.</param>
    public static async Task<InboxForwardResult> RunAsync(
        IInboxCheckpointStore store, Func<string?, CancellationToken, Task<InboxBatchJson>> fetchBatch,
        Func<IReadOnlyList<InboxWebhookItem>, CancellationToken, Task> forward, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fetchBatch);
        return await RunAsync<InboxWebhookItem>(
            store,
            async (c, ct) =>
            {
                var batch = await fetchBatch(c, ct).ConfigureAwait(false);
                return new InboxFetched<InboxWebhookItem>(batch.Checkpoint, batch.More, batch.Items);
            },
            forward, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The same run for items of any shape (the function app forwards whole items to a queue as well).</summary>
    /// <param name="fetchBatch">Reads the batch after a checkpoint (null: from now); throws when the batch could not be read.</param>
    /// <param name="forward">Hands every item to every target; throws at the first item a target did not take.</param>
    public static async Task<InboxForwardResult> RunAsync<TItem>(
        IInboxCheckpointStore store, Func<string?, CancellationToken, Task<InboxFetched<TItem>>> fetchBatch,
        Func<IReadOnlyList<TItem>, CancellationToken, Task> forward, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(fetchBatch);
        ArgumentNullException.ThrowIfNull(forward);
        var checkpoint = await store.ReadAsync(cancellationToken).ConfigureAwait(false);
        var batch = await fetchBatch(checkpoint, cancellationToken).ConfigureAwait(false);
        await forward(batch.Items, cancellationToken).ConfigureAwait(false);
        var advance = !string.IsNullOrEmpty(batch.Checkpoint) && batch.Checkpoint != checkpoint;
        if (advance)
            await store.WriteAsync(batch.Checkpoint!, cancellationToken).ConfigureAwait(false);
        return new InboxForwardResult(batch.Items.Count, advance ? batch.Checkpoint : checkpoint, advance, batch.More);
    }
}
