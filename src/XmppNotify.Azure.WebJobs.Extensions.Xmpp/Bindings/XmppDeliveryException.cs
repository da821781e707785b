using Xmpp.Notifications;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp;

/// <summary>
/// Delivery failed for at least one URL that is not optional. Thrown from the binding's flush so the invocation fails
/// (HTTP callers get an error, queue messages are retried and dead-lettered). The message is redacted.
/// </summary>
public sealed class XmppDeliveryException : Exception
{
    public XmppDeliveryException()
    {
    }

    public XmppDeliveryException(string message) : base(message)
    {
    }

    public XmppDeliveryException(string message, Exception? innerException) : base(message, innerException)
    {
    }

    public XmppDeliveryException(NotifyResult result) : base(Describe(result))
    {
        Result = result;
    }

    /// <summary>Per-URL outcomes (URLs redacted).</summary>
    public NotifyResult? Result { get; }

    private static string Describe(NotifyResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return "XMPP delivery failed:" + Environment.NewLine + result.Describe();
    }
}
