using Azure.Messaging.ServiceBus;
using Microsoft.Azure.Functions.Worker;
using Xmpp.Notifications.Contracts;
using Xmpp.Notifications.Contracts.Requests;
using XmppNotify.Azure.Functions.Worker.Extensions.Xmpp;

namespace XmppNotify.FunctionApp.ServiceBus;

/// <summary>
/// Delivers notifications queued on Service Bus (<c>%XmppQueueName%</c>); the body is read like <c>POST /api/notify</c>,
/// by the message's ContentType (default <c>application/json</c>). Left out of builds with <c>-p:XmppServiceBus=false</c>.
/// </summary>
/// <remarks>
/// <para>
/// Settlement (decided by <see cref="QueuedNotification"/>): the XMPP binding delivers after this method returns, when
/// the host flushes it, still inside the invocation. The Service Bus extension settles only after the whole
/// invocation, so with <c>AutoCompleteMessages = true</c>: delivered → completed; delivery failed → the invocation
/// fails, the message is abandoned and redelivered until the queue's maxDeliveryCount dead-letters it. Completing the
/// message from inside this method (<c>AutoCompleteMessages = false</c>) would complete it before delivery.
/// </para>
/// <para>
/// A payload that can never be delivered is dead-lettered here at once rather than retried. Settling inside the
/// function is allowed with auto-completion on: the host's ServiceBusMessageActions marks the message settled, and the
/// processor auto-completes only messages that are not settled yet (Azure.Messaging.ServiceBus ReceiverManager:
/// <c>AutoCompleteMessages &amp;&amp; !message.IsSettled</c>; the WebJobs Service Bus extension settles worker
/// requests through the same ServiceBusMessageActions via its gRPC settlement service).
/// </para>
/// </remarks>
public static class ServiceBusQueueFunction
{
    private const string DefaultContentType = "application/json";

    [Function("Queue")]
    [XmppOutput]
    public static async Task<XmppMessage[]?> RunAsync(
        [ServiceBusTrigger("%XmppQueueName%", Connection = "ServiceBusConnection", AutoCompleteMessages = true)] ServiceBusReceivedMessage message,
        ServiceBusMessageActions messageActions,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(messageActions);

        var notification = QueuedNotification.Read(message.ContentType, message.Body.ToMemory(), DefaultContentType);
        if (notification.Settlement == QueueSettlement.DeadLetter)
        {
            await messageActions.DeadLetterMessageAsync(
                message,
                deadLetterReason: notification.Reason,
                deadLetterErrorDescription: notification.Description,
                cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        return notification.Settlement == QueueSettlement.Deliver ? [.. notification.Messages] : null;
    }
}
