namespace Xmpp.Notifications.Contracts.Requests;

/// <summary>What a queue consumer does with a message it has read (see <see cref="QueuedNotification"/>).</summary>
public enum QueueSettlement
{
    /// <summary>
    /// Hand <see cref="QueuedNotification.Messages"/> to the XMPP output binding. The message is completed (deleted)
    /// only after the binding delivered every one of them; a delivery failure fails the invocation, and the queue
    /// redelivers the message until its delivery limit moves it to the dead-letter or poison queue.
    /// </summary>
    Deliver,

    /// <summary>The message holds nothing to send (an empty array): complete it.</summary>
    Complete,

    /// <summary>
    /// The payload can never be delivered: dead-letter it now (Service Bus) or move it to the poison queue (Storage
    /// queues) with <see cref="QueuedNotification.Reason"/> and <see cref="QueuedNotification.Description"/>.
    /// Retrying would fail the same way every time.
    /// </summary>
    DeadLetter,
}

/// <summary>
/// Reads a queued notification the way <c>POST /api/notify</c> reads a request body, and decides how the consumer
/// settles the message. Shared by the Service Bus and Storage queue consumers so both treat a payload alike.
/// </summary>
/// <remarks>
/// Abandoning is never decided here: it is what happens when delivery fails, because the output binding runs after the
/// function returned and its failure fails the invocation. Consumers therefore must not complete a message themselves
/// before the invocation ends (that would complete it before delivery and lose it on failure).
/// </remarks>
public sealed class QueuedNotification
{
    /// <summary>The dead-letter reason for a payload that cannot be read.</summary>
    public const string InvalidNotificationReason = "InvalidNotification";

    /// <summary>
    /// Longest <see cref="Description"/>: Service Bus keeps dead-letter descriptions in the message's application
    /// properties, whose total size is limited (64 KiB on the Standard tier); a parser message quoting a large payload
    /// must not make dead-lettering itself fail.
    /// </summary>
    public const int MaxDescriptionLength = 4096;

    private QueuedNotification(QueueSettlement settlement, IReadOnlyList<XmppMessage> messages, string? reason, string? description)
    {
        Settlement = settlement;
        Messages = messages;
        Reason = reason;
        Description = description;
    }

    /// <summary>What to do with the queue message.</summary>
    public QueueSettlement Settlement { get; }

    /// <summary>The messages to deliver; empty unless <see cref="Settlement"/> is <see cref="QueueSettlement.Deliver"/>.</summary>
    public IReadOnlyList<XmppMessage> Messages { get; }

    /// <summary>Dead-letter reason, for <see cref="QueueSettlement.DeadLetter"/>.</summary>
    public string? Reason { get; }

    /// <summary>Why the payload was rejected (the parser's message, at most <see cref="MaxDescriptionLength"/> characters), for <see cref="QueueSettlement.DeadLetter"/>.</summary>
    public string? Description { get; }

    /// <summary>
    /// Reads <paramref name="body"/> as <see cref="NotificationRequestParser.Parse"/> does. A null or empty
    /// <paramref name="contentType"/> is replaced by <paramref name="defaultContentType"/>; when that is null too the
    /// format is sniffed from the first non-blank character (Storage queue messages carry no content type).
    /// </summary>
    public static QueuedNotification Read(string? contentType, ReadOnlyMemory<byte> body, string? defaultContentType = null)
    {
        IReadOnlyList<XmppMessage> messages;
        try
        {
            messages = NotificationRequestParser.Parse(string.IsNullOrEmpty(contentType) ? defaultContentType : contentType, body);
        }
        catch (NotificationFormatException ex)
        {
            var description = ex.Message.Length > MaxDescriptionLength ? ex.Message[..MaxDescriptionLength] : ex.Message;
            return new QueuedNotification(QueueSettlement.DeadLetter, [], InvalidNotificationReason, description);
        }

        return messages.Count == 0
            ? new QueuedNotification(QueueSettlement.Complete, [], null, null)
            : new QueuedNotification(QueueSettlement.Deliver, messages, null, null);
    }
}
