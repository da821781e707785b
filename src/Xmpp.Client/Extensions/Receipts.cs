using System.Collections.Concurrent;
using System.Xml.Linq;

namespace Xmpp.Client;

/// <summary>
/// XEP-0184 message delivery receipts: a message sent with <see cref="OutgoingMessage.RequestReceipt"/> carries
/// <c>&lt;request xmlns='urn:xmpp:receipts'/&gt;</c>, and the recipient's client answers with
/// <c>&lt;received id='…'/&gt;</c>. The server's acknowledgement only proves the server took the message; a receipt
/// proves that a client of the recipient got it.
/// </summary>
public sealed partial class XmppClient
{
    /// <summary>More outstanding receipt requests than this in one session are refused: the table is bounded.</summary>
    public const int MaxPendingReceipts = 10_000;

    // Keyed by message id and the recipient's bare JID: an explicit stanza id may be reused for several recipients,
    // and a receipt counts only when it comes from the account the message was sent to.
    private readonly ConcurrentDictionary<(string Id, Jid To), TaskCompletionSource<Jid>> _receipts = new();

    /// <summary>
    /// Completes with the full JID of the recipient's client once it confirmed the message <paramref name="messageId"/>
    /// sent to <paramref name="to"/> with a receipt request. Never completes otherwise: callers bound the wait.
    /// </summary>
    public Task<Jid> ReceiptAsync(string messageId, Jid to)
    {
        ArgumentNullException.ThrowIfNull(messageId);
        ArgumentNullException.ThrowIfNull(to);
        return _receipts.TryGetValue((messageId, to.Bare), out var pending)
            ? pending.Task
            : throw new ArgumentException($"No receipt was requested for message '{messageId}' to {to}.", nameof(messageId));
    }

    private void ExpectReceipt(string id, Jid to)
    {
        if (_receipts.Count >= MaxPendingReceipts)
            throw new InvalidOperationException($"More than {MaxPendingReceipts} receipt requests are outstanding in this session.");
        _receipts.TryAdd((id, to.Bare), new TaskCompletionSource<Jid>(TaskCreationOptions.RunContinuationsAsynchronously));
    }

    /// <summary>True when <paramref name="message"/> is a receipt (handled here); false for any other message.</summary>
    private bool OnReceipt(XElement message)
    {
        var received = message.Element(XName.Get("received", Namespaces.Receipts));
        if (received is null)
            return false;
        // XEP-0184 1.0 put the acknowledged id on the stanza itself; current versions put it on <received/>.
        var id = (string?)received.Attribute("id") ?? (string?)message.Attribute("id");
        if (id is not null && Stanzas.ParseJid((string?)message.Attribute("from")) is { } from
            && _receipts.TryGetValue((id, from.Bare), out var pending))
        {
            pending.TrySetResult(from);
        }
        return true;
    }
}
