using Xmpp.Client;

namespace Xmpp.Notifications;

/// <summary>How a notification body is written.</summary>
public enum NotifyFormat
{
    Text,
    Markdown,
    Html,
}

/// <summary>
/// One notification as the notifier sends it: a title and body in a format, a message type, and optionally
/// targets that replace the URL's own (same grammar as the URL's path targets and <c>to=</c>).
/// </summary>
public sealed record Notification(string? Title, string Body)
{
    public NotifyFormat Format { get; init; } = NotifyFormat.Text;

    /// <summary>Type for person targets; room targets always get <c>groupchat</c>.</summary>
    public MessageType Type { get; init; } = MessageType.Chat;

    /// <summary>Targets replacing those of the URL, e.g. <c>bob</c>, <c>bob@example.org/phone</c>, <c>#ops@conference.example.org</c>.</summary>
    public IReadOnlyList<string>? Targets { get; init; }

    /// <summary>
    /// The stanza id instead of a generated one. When the notification becomes several stanzas (targets, split
    /// parts), the first carries it as is and the others <c>id-2</c>, <c>id-3</c>, …, so each stays traceable.
    /// </summary>
    public string? Id { get; init; }

    /// <summary>Extra child elements for every stanza of this notification (well-formed XML, each in its own namespace).</summary>
    public string? ExtensionXml { get; init; }
}

/// <summary>Sends notifications to Apprise XMPP URLs: one connection per URL, closed before returning.</summary>
public interface IXmppNotifier
{
    Task<NotifyResult> NotifyAsync(IReadOnlyList<string> urls, IReadOnlyList<Notification> notifications, CancellationToken cancellationToken);
}

/// <summary>Why a URL (or a target) was not delivered to.</summary>
public enum NotifyFailureKind
{
    None,
    InvalidUrl,
    Connection,
    Tls,
    Authentication,
    /// <summary>The server refused a target: a bounce, a room that could not be joined, an invalid recipient.</summary>
    Rejected,
    /// <summary>Sent but not acknowledged before the session ended.</summary>
    Unacknowledged,
    Timeout,
    Protocol,
    /// <summary><c>receipts=require</c>: the server took the message, but no client of the recipient confirmed it (XEP-0184).</summary>
    NoReceipt,
    /// <summary><c>offline=fail</c>: the recipient's presence showed no available client, so nothing was sent.</summary>
    Offline,
}

public enum TargetStatus
{
    /// <summary>The server acknowledged the message (XEP-0198 or a ping round trip) and no bounce came back.</summary>
    Delivered,
    Failed,
    NotSent,
    /// <summary><c>offline=skip</c>: the recipient was offline, so nothing was sent; not a failure.</summary>
    Skipped,
}

/// <summary>Whether a client of the recipient confirmed the message (XEP-0184), as opposed to the server accepting it.</summary>
public enum ReceiptStatus
{
    /// <summary><c>receipts=no</c>, or the message was not accepted by the server.</summary>
    NotRequested,
    /// <summary>A client of the recipient confirmed the message: <see cref="TargetOutcome.ReceivedBy"/> names it.</summary>
    Received,
    /// <summary>No confirmation within <c>rto</c>: the recipient's client is offline without the server knowing it, or does not send receipts.</summary>
    Missing,
    /// <summary>The recipient's presence showed no available client: the server stored the message for later.</summary>
    RecipientOffline,
    /// <summary>Rooms do not confirm receipt; the room's reflection of the message is the proof.</summary>
    NotApplicable,
}

public sealed record TargetOutcome(string Target, TargetStatus Status, NotifyFailureKind Failure = NotifyFailureKind.None, string? Error = null)
{
    /// <summary>With <c>receipts=wait|require</c>: what the recipient's client said. <see cref="TargetStatus.Delivered"/> alone means the server accepted it.</summary>
    public ReceiptStatus Receipt { get; init; } = ReceiptStatus.NotRequested;

    /// <summary>The full JID of the client that sent the receipt.</summary>
    public string? ReceivedBy { get; init; }
}

/// <summary>The outcome for one URL. <see cref="Url"/> is redacted.</summary>
public sealed record UrlOutcome(string Url, bool Optional, IReadOnlyList<TargetOutcome> Targets, NotifyFailureKind Failure = NotifyFailureKind.None, string? Error = null)
{
    public bool Delivered => Failure == NotifyFailureKind.None && Targets.All(t => t.Status is TargetStatus.Delivered or TargetStatus.Skipped);

    /// <summary>Subscription requests that reached the session, answered as the URL's <c>subscribe=</c> says.</summary>
    public IReadOnlyList<SubscriptionRequest> SubscriptionRequests { get; init; } = [];
}

public sealed record NotifyResult(IReadOnlyList<UrlOutcome> Urls)
{
    /// <summary>Every URL that is not optional was delivered to every target.</summary>
    public bool Success => Urls.All(u => u.Delivered || u.Optional);

    /// <summary>One line per failed URL and target, redacted, for an exception message or a log.</summary>
    public string Describe() => string.Join(Environment.NewLine,
        Urls.Where(u => !u.Delivered).Select(u =>
            $"{u.Url}{(u.Optional ? " (optional)" : "")}: " +
            (u.Error ?? string.Join("; ", u.Targets.Where(t => t.Status is not (TargetStatus.Delivered or TargetStatus.Skipped)).Select(t => $"{t.Target}: {t.Error ?? t.Status.ToString()}")))));
}
