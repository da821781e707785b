using Xmpp.Notifications.Contracts;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp.Bindings;

/// <summary>
/// What the binding rule collects: the messages one added value stands for. WebJobs converters map one value to one
/// item, so a JSON array arriving as a single <c>string</c> or <c>byte[]</c> (the host's default collector type) can only
/// fan out if the collected item is itself a list.
/// </summary>
internal sealed class XmppMessageBatch(IReadOnlyList<XmppMessage> messages)
{
    public IReadOnlyList<XmppMessage> Messages { get; } = messages;
}
