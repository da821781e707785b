using Azure.Messaging.ServiceBus;
using Microsoft.Azure.Functions.Worker;
using Xmpp.Notifications.Contracts.Requests;
using Xmpp.Notifications.Contracts;
using XmppNotify.Azure.Functions.Worker.Extensions.Xmpp;

namespace XmppNotify.FunctionApp;

/// <summary>
/// Delivers notifications queued on Service Bus (<c>%XmppQueueName%</c>); the body is read like <c>POST /api/notify</c>,
/// by the message's ContentType (default <c>application/json</c>).
/// </summary>
/// <remarks>
/// <para>
/// Settlement and the output binding: the XMPP binding delivers after this method returns, when the host flushes it,
/// and still inside the invocation. The Service Bus extension settles only after the whole invocation, so with
/// <c>AutoCompleteMessages = true</c>: delivered → completed; delivery failed → the invocation fails, the message is
/// abandoned and redelivered until the queue's maxDeliveryCount dead-letters it. Completing the message from inside
/// this method instead (<c>AutoCompleteMessages = false</c>) would complete it before delivery and lose it on failure.
/// </para>
/// <para>
/// A payload that can never be delivered is dead-lettered here at once rather than retried. Settling inside the
/// function is allowed with auto-completion on: the host's ServiceBusMessageActions marks the message settled, and the
/// processor auto-completes only messages that are not settled yet (Azure.Messaging.ServiceBus ReceiverManager:
/// <c>AutoCompleteMessages &amp;&amp; !message.IsSettled</c>; Microsoft.Azure.WebJobs.Extensions.ServiceBus settles worker
/// requests through the same ServiceBusMessageActions via its gRPC SettlementService).
/// </para>
/// </remarks>
public static class QueueFunction
{
    public const string InvalidNotificationReason = "InvalidNotification";

    private const string DefaultContentType = "application/json";

    /// <summary>Dead-letter descriptions travel in the message's application properties, whose total size is limited.</summary>
    private const int MaxDescriptionLength = 4096;

    [Function("Queue")]
    [XmppOutput]
    public static async Task<XmppMessage[]?> RunAsync(
        [ServiceBusTrigger("%XmppQueueName%", Connection = "ServiceBusConnection", AutoCompleteMessages = true)] ServiceBusReceivedMessage message,
        ServiceBusMessageActions messageActions,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(messageActions);

        try
        {
            var messages = NotificationRequestParser.Parse(
                string.IsNullOrEmpty(message.ContentType) ? DefaultContentType : message.ContentType,
                message.Body.ToMemory());
            return messages.Count == 0 ? null : [.. messages];
        }
        catch (NotificationFormatException ex)
        {
            var description = ex.Message.Length > MaxDescriptionLength ? ex.Message[..MaxDescriptionLength] : ex.Message;
            await messageActions.DeadLetterMessageAsync(
                message,
                deadLetterReason: InvalidNotificationReason,
                deadLetterErrorDescription: description,
                cancellationToken: cancellationToken).ConfigureAwait(false);
            return null;
        }
    }
}
