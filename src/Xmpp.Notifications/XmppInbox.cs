using System.Globalization;
using System.Text;
using System.Xml.Linq;
using Xmpp.Client;
using Xmpp.Notifications.Apprise;

namespace Xmpp.Notifications;

/// <summary>What an inbox item is.</summary>
public static class InboxItemKind
{
    public const string Message = "message";
    /// <summary>A <c>type='error'</c> message: a bounce of something this account sent.</summary>
    public const string Error = "error";
    /// <summary>A pending presence subscription request (answered as the URL's <c>subscribe=</c> says; pending ones come back each call).</summary>
    public const string SubscriptionRequest = "subscription-request";
}

/// <summary>One inbound item. <see cref="Stanza"/> is null when the stanza exceeded <see cref="InboxOptions.MaxStanzaChars"/> (then <see cref="Truncated"/>).</summary>
public sealed record InboxItem(string Kind, string? Id, string? From, string? To, string? Type, string? Body, string? Subject, string? Thread, DateTimeOffset? Timestamp, string? Stanza)
{
    /// <summary>The archive id (XEP-0313): the checkpoint to resume after this item.</summary>
    public string? ArchiveId { get; init; }

    public bool Truncated { get; init; }
}

public sealed class InboxOptions
{
    /// <summary>Most items per call; the rest come on the next call. 1 to 1000, default 100.</summary>
    public int MaxItems { get; init; } = 100;

    /// <summary>Longest stanza returned whole, in characters; longer ones come with <c>Stanza</c> null and the body cut to this length.</summary>
    public int MaxStanzaChars { get; init; } = 64 * 1024;

    /// <summary>Where to start when there is no checkpoint; null means now (only what arrives after this call).</summary>
    public DateTimeOffset? Since { get; init; }
}

/// <summary>A batch and the checkpoint that follows it. Store <see cref="Checkpoint"/> only after handling the items (at-least-once).</summary>
public sealed record InboxBatch(string Url, IReadOnlyList<InboxItem> Items, string? Checkpoint, string Source, NotifyFailureKind Failure = NotifyFailureKind.None, string? Error = null)
{
    public bool Success => Failure == NotifyFailureKind.None;

    /// <summary>True when the archive may hold more after this batch.</summary>
    public bool More { get; init; }

    /// <summary>Subscription requests that reached the session (also listed as items).</summary>
    public IReadOnlyList<SubscriptionRequest> SubscriptionRequests { get; init; } = [];
}

/// <summary>A checkpoint that cannot be used: not one of ours, for another account, or unknown to the archive. Nothing was changed.</summary>
public sealed class InboxCheckpointException(string message) : Exception(message);

/// <summary>
/// Inbound messages since a checkpoint, on a connection of its own: log in, read the account's XEP-0313 archive
/// after the checkpoint with XEP-0059 paging (at most <see cref="InboxOptions.MaxItems"/>), close. Where the server
/// has no archive, offline storage is read instead: the server hands it over whole and deletes it (so those items
/// come once, and <see cref="InboxOptions.MaxItems"/> cannot hold the rest back).
/// </summary>
public sealed class XmppInbox(XmppNotifierOptions? options = null)
{
    public const string ArchiveSource = "archive";
    public const string OfflineSource = "offline";

    private const string Prefix = "xmpp-inbox/1";
    private const int PageSize = 50;
    private readonly XmppNotifierOptions _options = options ?? new XmppNotifierOptions();

    /// <summary>
    /// Fetches what arrived after <paramref name="checkpoint"/> (null: from <see cref="InboxOptions.Since"/>, else from
    /// now). Throws <see cref="InboxCheckpointException"/> for a checkpoint that is corrupt, for another account, or
    /// unknown to the archive; other failures are in the batch.
    /// </summary>
    public async Task<InboxBatch> FetchAsync(string url, string? checkpoint, InboxOptions? inboxOptions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        inboxOptions ??= new InboxOptions();
        if (inboxOptions.MaxItems is < 1 or > 1000)
            throw new ArgumentOutOfRangeException(nameof(inboxOptions), "MaxItems is 1 to 1000.");
        if (!AppriseXmppUrl.TryParse(url, out var plan, out var error))
            return new InboxBatch(UrlRedaction.Redact(url), [], checkpoint, ArchiveSource, NotifyFailureKind.InvalidUrl, error!.Message);
        var (after, start) = ParseCheckpoint(checkpoint, plan!.LoginJid);
        var clientOptions = plan.ToClientOptions();
        // A timer calls this often: the roster and archive queries travel with the bind request, as the notifier's messages do.
        clientOptions.PipelineLogin = true;
        _options.ConfigureClient?.Invoke(clientOptions);
        await using var client = new XmppClient(clientOptions);
        try
        {
            await client.LoginAsync(cancellationToken).ConfigureAwait(false);
            // RFC 6121 §2.2: roster first, then presence, to get pending requests; the archive query goes alongside.
            var roster = client.GetRosterAsync(cancellationToken);
            InboxBatch batch;
            try
            {
                try
                {
                    batch = await FromArchiveAsync(client, plan, after, start ?? (checkpoint is null ? inboxOptions.Since : null), checkpoint is null && inboxOptions.Since is null, inboxOptions, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    await roster.ConfigureAwait(false);
                }
                await client.SendPresenceAsync(-1, cancellationToken).ConfigureAwait(false);
            }
            catch (XmppStanzaErrorException e) when (e.Error.Condition is "service-unavailable" or "feature-not-implemented")
            {
                batch = await FromOfflineStorageAsync(client, plan, checkpoint, inboxOptions, cancellationToken).ConfigureAwait(false);
            }
            catch (XmppStanzaErrorException e) when (e.Error.Condition == "item-not-found" && after is not null)
            {
                throw new InboxCheckpointException($"The archive of {plan.LoginJid} does not know the checkpoint's archive id '{after}' (expired, or from another server); nothing was read. Delete the checkpoint to start from now.");
            }
            await client.PingAsync(cancellationToken).ConfigureAwait(false); // pending subscription requests arrive before the answer
            var requests = client.SubscriptionRequests;
            await client.DisconnectAsync(cancellationToken).ConfigureAwait(false);
            var items = batch.Items.Concat(requests.Select(r => new InboxItem(InboxItemKind.SubscriptionRequest, null, r.From.ToString(), plan.LoginJid.ToString(), "subscribe", null, null, null, null,
                $"<presence xmlns='jabber:client' type='subscribe' from='{r.From}'/>"))).ToList();
            return batch with { Items = items, SubscriptionRequests = requests };
        }
        catch (XmppException e)
        {
            return new InboxBatch(plan.ToString(), [], checkpoint, ArchiveSource, UrlDelivery.Classify(e), e.Message);
        }
    }

    private static async Task<InboxBatch> FromArchiveAsync(XmppClient client, AppriseXmppUrl plan, string? after, DateTimeOffset? start, bool fromNow, InboxOptions options, CancellationToken cancellationToken)
    {
        if (fromNow)
        {
            // Start after the newest archived message: exact, and free of clock differences between here and the server.
            var newest = await client.LatestArchiveIdAsync(cancellationToken).ConfigureAwait(false);
            var checkpoint = newest is null ? Format(plan.LoginJid, null, DateTimeOffset.UtcNow) : Format(plan.LoginJid, newest, null);
            return new InboxBatch(plan.ToString(), [], checkpoint, ArchiveSource);
        }
        var items = new List<InboxItem>();
        var more = true;
        while (items.Count < options.MaxItems)
        {
            var page = await client.QueryArchiveAsync(after, after is null ? start : null, Math.Min(PageSize, options.MaxItems - items.Count), cancellationToken).ConfigureAwait(false);
            foreach (var archived in page.Messages)
                items.Add(ToItem(archived.Message, archived.ArchiveId, archived.Timestamp, options));
            if (page.Messages.Count > 0)
                after = page.Messages[^1].ArchiveId;
            more = !page.Complete && page.Messages.Count > 0;
            if (!more)
                break;
        }
        var next = after is not null ? Format(plan.LoginJid, after, null) : Format(plan.LoginJid, null, start ?? DateTimeOffset.UtcNow);
        return new InboxBatch(plan.ToString(), items, next, ArchiveSource) { More = more };
    }

    private static async Task<InboxBatch> FromOfflineStorageAsync(XmppClient client, AppriseXmppUrl plan, string? checkpoint, InboxOptions options, CancellationToken cancellationToken)
    {
        // Non-negative priority: the server flushes offline storage into this session (and deletes it there).
        await client.SendPresenceAsync(0, cancellationToken).ConfigureAwait(false);
        await client.PingAsync(cancellationToken).ConfigureAwait(false);
        var items = new List<InboxItem>();
        while (client.Messages.TryRead(out var message))
        {
            var stanza = XElement.Parse(message.Xml);
            var stamp = (string?)stanza.Element(XName.Get("delay", "urn:xmpp:delay"))?.Attribute("stamp");
            items.Add(ToItem(stanza, null, DateTimeOffset.TryParse(stamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null, options));
        }
        return new InboxBatch(plan.ToString(), items, checkpoint, OfflineSource);
    }

    private static InboxItem ToItem(XElement message, string? archiveId, DateTimeOffset? timestamp, InboxOptions options)
    {
        XNamespace ns = message.Name.Namespace;
        var type = (string?)message.Attribute("type") ?? "normal";
        var xml = message.ToString(SaveOptions.DisableFormatting);
        var body = (string?)message.Element(ns + "body");
        var truncated = xml.Length > options.MaxStanzaChars;
        if (truncated && body is { } b && b.Length > options.MaxStanzaChars)
            body = b[..options.MaxStanzaChars];
        return new InboxItem(
            type == "error" ? InboxItemKind.Error : InboxItemKind.Message,
            (string?)message.Attribute("id"),
            (string?)message.Attribute("from"),
            (string?)message.Attribute("to"),
            type,
            body,
            (string?)message.Element(ns + "subject"),
            (string?)message.Element(ns + "thread"),
            timestamp,
            truncated ? null : xml)
        {
            ArchiveId = archiveId,
            Truncated = truncated,
        };
    }

    /// <summary><c>xmpp-inbox/1 ACCOUNT after ARCHIVE-ID</c> or <c>xmpp-inbox/1 ACCOUNT start ISO-TIME</c>.</summary>
    internal static string Format(Jid account, string? after, DateTimeOffset? start)
    {
        var text = new StringBuilder(Prefix).Append(' ').Append(account.Bare);
        if (after is not null)
            text.Append(" after ").Append(Convert.ToBase64String(Encoding.UTF8.GetBytes(after)));
        else
            text.Append(" start ").Append(start!.Value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        return text.ToString();
    }

    internal static (string? After, DateTimeOffset? Start) ParseCheckpoint(string? checkpoint, Jid account)
    {
        if (checkpoint is null)
            return (null, null);
        var parts = checkpoint.Trim().Split(' ');
        if (parts.Length != 4 || parts[0] != Prefix || parts[2] is not ("after" or "start"))
            throw new InboxCheckpointException($"The checkpoint is not an inbox checkpoint (expected '{Prefix} ACCOUNT after|start VALUE'); nothing was read.");
        if (!Jid.TryParse(parts[1], out var owner) || owner!.Bare != account.Bare)
            throw new InboxCheckpointException($"The checkpoint belongs to another account than {account.Bare}; nothing was read.");
        if (parts[2] == "start")
        {
            return DateTimeOffset.TryParseExact(parts[3], "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var start)
                ? (null, start)
                : throw new InboxCheckpointException("The checkpoint's start time is not valid; nothing was read.");
        }
        try
        {
            var id = Encoding.UTF8.GetString(Convert.FromBase64String(parts[3]));
            return id.Length is > 0 and <= 256 ? (id, null) : throw new FormatException();
        }
        catch (FormatException)
        {
            throw new InboxCheckpointException("The checkpoint's archive id is not valid; nothing was read.");
        }
    }
}
