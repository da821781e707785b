using System.Globalization;
using System.Xml.Linq;
using Xmpp.Client.Xml;

namespace Xmpp.Client;

/// <summary>One entry of the account's roster (RFC 6121 §2.1.2).</summary>
/// <param name="Subscription"><c>none</c>, <c>to</c> (we see their presence), <c>from</c> (they see ours) or <c>both</c>.</param>
/// <param name="AskPending">A subscription request from us is waiting for the contact's answer.</param>
public sealed record RosterItem(Jid Jid, string Subscription, bool AskPending, string? Name)
{
    /// <summary>True when this account receives the contact's presence.</summary>
    public bool SeesPresence => Subscription is "to" or "both";
}

/// <summary>One available resource of a contact (RFC 6121 §4.7).</summary>
/// <param name="Show"><c>online</c> (no show element), <c>chat</c>, <c>away</c>, <c>xa</c> or <c>dnd</c>.</param>
public sealed record ResourcePresence(string? Resource, string Show, string? Status, int Priority);

/// <summary>What this session learned about a contact's presence.</summary>
public enum PresenceKnowledge
{
    /// <summary>No presence arrived (not subscribed, or the contact's server did not answer in time).</summary>
    Unknown,
    /// <summary>The contact (or its server) refused to share presence: this account is not subscribed.</summary>
    NotSubscribed,
    /// <summary>Presence arrived: <see cref="ContactPresence.Resources"/> lists the available resources (none means offline).</summary>
    Known,
    /// <summary>The contact's server answered the probe with an error.</summary>
    Error,
}

/// <summary>A contact's availability as seen by this session.</summary>
public sealed record ContactPresence(Jid Contact, PresenceKnowledge Knowledge, IReadOnlyList<ResourcePresence> Resources)
{
    public bool IsAvailable => Knowledge == PresenceKnowledge.Known && Resources.Count > 0;

    public bool IsOffline => Knowledge == PresenceKnowledge.Known && Resources.Count == 0;
}

/// <summary>How incoming subscription requests (RFC 6121 §3.1.3) are answered.</summary>
public enum SubscriptionPolicy
{
    /// <summary>Not answered: the request stays pending on the server and is offered again next session.</summary>
    Ignore,
    /// <summary>Approved (<c>subscribed</c>): the requester sees this account's presence.</summary>
    Accept,
    /// <summary>Refused (<c>unsubscribed</c>).</summary>
    Deny,
}

/// <summary>A subscription request that arrived in this session and how it was answered.</summary>
public sealed record SubscriptionRequest(Jid From, SubscriptionPolicy Answer);

/// <summary>What <see cref="XmppClient.RequestSubscriptionAsync"/> found and did.</summary>
public enum SubscriptionRequestResult
{
    /// <summary>The roster already had a subscription to the contact's presence; nothing was sent but the pre-approval.</summary>
    AlreadySubscribed,
    /// <summary>The request was sent (or re-sent) and awaits the contact's answer.</summary>
    Requested,
}

/// <summary>Roster, presence and subscriptions (RFC 6121 §2–4).</summary>
public sealed partial class XmppClient
{
    /// <summary>Contacts whose presence is tracked in one session; presence from further contacts is dropped.</summary>
    public const int MaxTrackedContacts = 10_000;

    /// <summary>Resources tracked per contact.</summary>
    public const int MaxResourcesPerContact = 64;

    /// <summary>Subscription requests recorded per session (later ones are still answered by the policy).</summary>
    public const int MaxRecordedSubscriptionRequests = 1_000;

    private const int MaxRosterItems = 50_000;

    private readonly object _presenceGate = new();
    private readonly Dictionary<Jid, ContactState> _contacts = [];
    private readonly List<SubscriptionRequest> _subscriptionRequests = [];
    private TaskCompletionSource _presenceChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Subscription requests received in this session and the answer given (<see cref="XmppClientOptions.SubscriptionPolicy"/>).</summary>
    public IReadOnlyList<SubscriptionRequest> SubscriptionRequests
    {
        get
        {
            lock (_presenceGate)
                return _subscriptionRequests.ToArray();
        }
    }

    /// <summary>Reads the roster (RFC 6121 §2.1.3).</summary>
    public async Task<IReadOnlyList<RosterItem>> GetRosterAsync(CancellationToken cancellationToken = default)
    {
        var result = await SendIqAsync("get", null, $"<query xmlns='{Namespaces.Roster}'/>", "the roster", cancellationToken).ConfigureAwait(false);
        var items = new List<RosterItem>();
        foreach (var item in result.Element(XName.Get("query", Namespaces.Roster))?.Elements(XName.Get("item", Namespaces.Roster)) ?? [])
        {
            if (items.Count >= MaxRosterItems)
                throw new XmppProtocolException($"The roster has more than {MaxRosterItems} items.", "policy-violation");
            if (Stanzas.ParseJid((string?)item.Attribute("jid")) is not { } jid)
                continue;
            items.Add(new RosterItem(jid.Bare, (string?)item.Attribute("subscription") ?? "none", (string?)item.Attribute("ask") == "subscribe", (string?)item.Attribute("name")));
        }
        return items;
    }

    /// <summary>
    /// Sends initial presence with <paramref name="priority"/>. A negative priority (RFC 6121 §4.7.2.3) makes this
    /// session receive contacts' presence and pending subscription requests without taking messages addressed to the
    /// bare JID, and without the server flushing its offline storage into this session.
    /// </summary>
    public Task SendPresenceAsync(int priority, CancellationToken cancellationToken = default)
    {
        if (priority is < -128 or > 127)
            throw new ArgumentOutOfRangeException(nameof(priority), "RFC 6121 §4.7.2.3: the priority is from -128 to 127.");
        return SendStanzaAsync($"<presence><priority>{priority.ToString(CultureInfo.InvariantCulture)}</priority></presence>", null, cancellationToken);
    }

    /// <summary>
    /// Asks <paramref name="contact"/> for a presence subscription (RFC 6121 §3.1) after pre-approving theirs
    /// (§3.4), so that the contact may see this account as soon as it asks. Reads the roster first to tell whether
    /// the subscription already exists.
    /// </summary>
    public async Task<SubscriptionRequestResult> RequestSubscriptionAsync(Jid contact, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(contact);
        var bare = contact.Bare;
        var roster = await GetRosterAsync(cancellationToken).ConfigureAwait(false);
        var existing = roster.FirstOrDefault(i => i.Jid == bare);
        var to = XmlStreamWriter.EscapeAttribute(bare.ToString());
        if (existing is null || existing.Subscription is "none" or "to")
            await SendStanzaAsync($"<presence to='{to}' type='subscribed'/>", null, cancellationToken).ConfigureAwait(false);
        if (existing is { SeesPresence: true })
            return SubscriptionRequestResult.AlreadySubscribed;
        await SendStanzaAsync($"<presence to='{to}' type='subscribe'/>", null, cancellationToken).ConfigureAwait(false);
        return SubscriptionRequestResult.Requested;
    }

    /// <summary>What this session has seen of <paramref name="contact"/>'s presence so far.</summary>
    public ContactPresence GetPresence(Jid contact)
    {
        ArgumentNullException.ThrowIfNull(contact);
        lock (_presenceGate)
            return _contacts.TryGetValue(contact.Bare, out var state) ? state.Snapshot(contact.Bare) : new ContactPresence(contact.Bare, PresenceKnowledge.Unknown, []);
    }

    /// <summary>
    /// After <see cref="SendPresenceAsync(int, CancellationToken)"/>: waits until the presence of each of
    /// <paramref name="contacts"/> is known, or the response timeout passes, and returns what is known. A ping round
    /// trip first lets the server answer its own probes (it handles a session's stanzas in order); contacts on other
    /// servers may answer later, up to the timeout.
    /// </summary>
    public async Task<IReadOnlyList<ContactPresence>> WaitForPresenceAsync(IReadOnlyCollection<Jid> contacts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(contacts);
        await PingAsync(cancellationToken).ConfigureAwait(false);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.ResponseTimeout);
        // Where the server does not answer probes for offline contacts (ejabberd), their last activity does.
        var confirming = ConfirmOfflineAsync(contacts, deadline.Token);
        try
        {
            return await WaitForKnownPresenceAsync(contacts, deadline, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await deadline.CancelAsync().ConfigureAwait(false);
            await confirming.ConfigureAwait(false);
        }
    }

    private async Task<IReadOnlyList<ContactPresence>> WaitForKnownPresenceAsync(IReadOnlyCollection<Jid> contacts, CancellationTokenSource deadline, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_presenceGate)
            {
                if (contacts.All(c => _contacts.TryGetValue(c.Bare, out var s) && s.Knowledge != PresenceKnowledge.Unknown))
                    break;
                changed = _presenceChanged.Task;
            }
            try
            {
                await changed.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                break; // what is still unknown is reported as unknown
            }
        }
        return contacts.Select(GetPresence).ToList();
    }

    private void OnContactPresence(XElement presence)
    {
        if (Stanzas.ParseJid((string?)presence.Attribute("from")) is not { } from)
            return;
        var bare = from.Bare;
        if (bare == _options.Jid || _pendingJoins.ContainsKey(bare) || _joinedRooms.ContainsKey(bare))
            return; // own resources and rooms are not contacts
        var type = (string?)presence.Attribute("type");
        if (type == "subscribe")
        {
            OnSubscriptionRequest(bare);
            return;
        }
        if (type is "subscribed" or "unsubscribe" or "probe")
            return;
        TaskCompletionSource signal;
        lock (_presenceGate)
        {
            if (!_contacts.TryGetValue(bare, out var state))
            {
                if (_contacts.Count >= MaxTrackedContacts)
                    return;
                state = new ContactState();
                _contacts[bare] = state;
            }
            switch (type)
            {
                case null:
                    state.Knowledge = PresenceKnowledge.Known;
                    if (state.Resources.Count < MaxResourcesPerContact || state.Resources.ContainsKey(from.Resource ?? ""))
                        state.Resources[from.Resource ?? ""] = ReadAvailable(presence, from.Resource);
                    break;
                case "unavailable":
                    state.Knowledge = PresenceKnowledge.Known;
                    if (from.Resource is null)
                        state.Resources.Clear();
                    else
                        state.Resources.Remove(from.Resource);
                    break;
                case "unsubscribed":
                    // Prosody answers a probe from a non-subscriber this way (RFC 6121 §4.3.2).
                    if (state.Knowledge == PresenceKnowledge.Unknown)
                        state.Knowledge = PresenceKnowledge.NotSubscribed;
                    break;
                case "error":
                    if (state.Knowledge == PresenceKnowledge.Unknown)
                        state.Knowledge = PresenceKnowledge.Error;
                    break;
                default:
                    return;
            }
            signal = _presenceChanged;
            _presenceChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        signal.TrySetResult();
    }

    private static ResourcePresence ReadAvailable(XElement presence, string? resource)
    {
        var show = ((string?)presence.Element(XName.Get("show", Namespaces.Client)))?.Trim() switch
        {
            "chat" => "chat",
            "away" => "away",
            "xa" => "xa",
            "dnd" => "dnd",
            _ => "online", // absent or unknown show means plain availability (RFC 6121 §4.7.2.1)
        };
        var status = (string?)presence.Element(XName.Get("status", Namespaces.Client));
        if (status is { Length: > 1024 })
            status = status[..1024];
        var priority = int.TryParse((string?)presence.Element(XName.Get("priority", Namespaces.Client)), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var p)
            ? Math.Clamp(p, -128, 127)
            : 0;
        return new ResourcePresence(resource, show, status, priority);
    }

    private void OnSubscriptionRequest(Jid from)
    {
        var policy = _options.SubscriptionPolicy;
        lock (_presenceGate)
        {
            if (_subscriptionRequests.Count < MaxRecordedSubscriptionRequests && !_subscriptionRequests.Any(r => r.From == from))
                _subscriptionRequests.Add(new SubscriptionRequest(from, policy));
        }
        if (policy == SubscriptionPolicy.Ignore)
            return;
        var to = XmlStreamWriter.EscapeAttribute(from.ToString());
        var answer = policy == SubscriptionPolicy.Accept ? "subscribed" : "unsubscribed";
        // Answered from the read loop without waiting on it: the write is bounded and a failure ends the session anyway.
        _ = SendStanzaAsync($"<presence to='{to}' type='{answer}'/>", null, _lifetime.Token).ContinueWith(
            t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    private sealed class ContactState
    {
        public PresenceKnowledge Knowledge { get; set; }

        public Dictionary<string, ResourcePresence> Resources { get; } = new(StringComparer.Ordinal);

        public ContactPresence Snapshot(Jid contact) => new(contact, Knowledge,
            Resources.Values.OrderByDescending(r => r.Priority).ThenBy(r => r.Resource, StringComparer.Ordinal).ToList());
    }
}
