using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Xmpp.Notifications.Contracts;
using Xmpp.Notifications.Contracts.Requests;
using XmppNotify.Azure.Functions.Worker.Extensions.Xmpp;

namespace XmppNotify.FunctionApp;

/// <summary>
/// Delivers notifications queued on an Azure Storage queue (<c>%XmppStorageQueueName%</c>, connection
/// <c>XmppStorageQueueConnection</c>). Storage queue messages carry no content type, so the format is taken from the
/// body as <c>POST /api/notify</c> does without a Content-Type: <c>{</c> or <c>[</c> is JSON, <c>&lt;</c> is an XMPP
/// stanza, anything else is plain text.
/// </summary>
/// <remarks>
/// The queue extension deletes the message only after the whole invocation succeeded, and the XMPP binding delivers
/// inside the invocation after this method returned: delivered → deleted; delivery failed → the invocation fails, the
/// message becomes visible again and after host.json <c>queues:maxDequeueCount</c> attempts the host moves it to
/// <c>&lt;queue&gt;-poison</c>. A payload that can never be read goes to that poison queue at once (unchanged, through
/// <see cref="StorageQueueOutput.Poison"/>) instead of failing the same way <c>maxDequeueCount</c> times; the reason is
/// logged.
/// </remarks>
public static partial class StorageQueueFunction
{
    [Function("StorageQueue")]
    public static StorageQueueOutput Run(
        [QueueTrigger("%XmppStorageQueueName%", Connection = "XmppStorageQueueConnection")] byte[] message,
        FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(context);

        var notification = QueuedNotification.Read(null, message);
        switch (notification.Settlement)
        {
            case QueueSettlement.Deliver:
                return new StorageQueueOutput { Messages = [.. notification.Messages] };
            case QueueSettlement.DeadLetter:
                LogPoisoned(context.GetLogger(nameof(StorageQueueFunction)), notification.Reason, notification.Description);
                return new StorageQueueOutput { Poison = message };
            default:
                return new StorageQueueOutput();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Queue message moved to the poison queue ({Reason}): {Description}")]
    private static partial void LogPoisoned(ILogger logger, string? reason, string? description);
}

/// <summary>The outputs of <see cref="StorageQueueFunction"/>: messages to deliver, or the original body for the poison queue.</summary>
public sealed class StorageQueueOutput
{
    /// <summary>Null when nothing is to be sent.</summary>
    [XmppOutput]
    public XmppMessage[]? Messages { get; init; }

    /// <summary>The unreadable message, unchanged, for the queue the host itself uses for poison messages.</summary>
    [QueueOutput("%XmppStorageQueueName%-poison", Connection = "XmppStorageQueueConnection")]
    public byte[]? Poison { get; init; }
}
