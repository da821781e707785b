using System.Globalization;
using System.Xml.Linq;

namespace Xmpp.Client;

/// <summary>
/// A contact's last activity as its server reports it (XEP-0012 on the bare JID): <see cref="Seconds"/> since the
/// contact last logged out, 0 while it has a session, and the status it left with.
/// </summary>
public sealed record LastActivity(long Seconds, string? Status);

public sealed partial class XmppClient
{
    /// <summary>XEP-0012 counts whole seconds: a contact that left within the last one reads as 0, like one in a session.</summary>
    private static readonly TimeSpan LastActivityRetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Asks the contact's server for <paramref name="contact"/>'s last activity (XEP-0012 §4, bare JID). Servers answer
    /// only subscribers (others get <c>subscription-required</c>) and only with the module loaded (else
    /// <c>service-unavailable</c>); both come as <see cref="XmppStanzaErrorException"/>.
    /// </summary>
    public async Task<LastActivity> GetLastActivityAsync(Jid contact, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(contact);
        var result = await SendIqAsync("get", contact.Bare.ToString(), $"<query xmlns='{Namespaces.LastActivity}'/>", "a last activity answer", cancellationToken).ConfigureAwait(false);
        var query = result.Element(XName.Get("query", Namespaces.LastActivity))
                    ?? throw new XmppProtocolException("The last activity answer has no query element.", "bad-format");
        if (!long.TryParse((string?)query.Attribute("seconds"), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            throw new XmppProtocolException("The last activity answer has no valid seconds attribute.", "bad-format");
        var status = query.Value;
        if (status.Length > 1024)
            status = status[..1024];
        return new LastActivity(seconds, status.Length == 0 ? null : status);
    }

    /// <summary>
    /// For each of <paramref name="contacts"/> whose presence is still unknown, asks its last activity until the
    /// token ends it: a server that reports a logout (<c>seconds</c> above 0) for a contact that sent no presence has
    /// told that it is offline; a
    /// <c>subscription-required</c> answer tells that this account is not subscribed. Any other answer or none leaves
    /// the contact unknown. Never throws.
    /// </summary>
    /// <remarks>
    /// Servers answer a probe for an offline contact differently: Prosody sends its last unavailable presence
    /// (RFC 6121 §4.3.2), ejabberd 23.01 sends nothing, so its subscribers could only wait until the timeout. Both
    /// deliver an online contact's presence before they answer a later iq, so a contact still unknown after the ping
    /// that <see cref="WaitForPresenceAsync"/> sends is not online with presence shared, and the last activity
    /// settles it.
    /// </remarks>
    public async Task ConfirmOfflineAsync(IReadOnlyCollection<Jid> contacts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(contacts);
        var unknown = contacts.Select(c => c.Bare).Distinct().Where(c => GetPresence(c).Knowledge == PresenceKnowledge.Unknown).Take(MaxTrackedContacts).ToList();
        await Task.WhenAll(unknown.Select(c => ConfirmOfflineAsync(c, cancellationToken))).ConfigureAwait(false);
    }

    private async Task ConfirmOfflineAsync(Jid contact, CancellationToken cancellationToken)
    {
        PresenceKnowledge learned;
        try
        {
            while (true)
            {
                var last = await GetLastActivityAsync(contact, cancellationToken).ConfigureAwait(false);
                if (last.Seconds > 0)
                    break;
                // 0: in a session (its presence is on the way), or left less than a second ago; ask again until
                // presence arrives or the caller's deadline ends the wait.
                await Task.Delay(LastActivityRetryDelay, cancellationToken).ConfigureAwait(false);
                if (GetPresence(contact).Knowledge != PresenceKnowledge.Unknown)
                    return;
            }
            learned = PresenceKnowledge.Known;
        }
        catch (XmppStanzaErrorException e) when (e.Error.Condition == "subscription-required")
        {
            learned = PresenceKnowledge.NotSubscribed;
        }
        catch (Exception e) when (e is XmppException or OperationCanceledException)
        {
            return;
        }
        TaskCompletionSource signal;
        lock (_presenceGate)
        {
            if (!_contacts.TryGetValue(contact, out var state))
            {
                if (_contacts.Count >= MaxTrackedContacts)
                    return;
                state = new ContactState();
                _contacts[contact] = state;
            }
            if (state.Knowledge != PresenceKnowledge.Unknown)
                return; // presence arrived meanwhile: it wins
            state.Knowledge = learned;
            state.Resources.Clear();
            signal = _presenceChanged;
            _presenceChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        signal.TrySetResult();
    }
}
