using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Xmpp.Client;
using Xmpp.Notifications.Apprise;

namespace Xmpp.Notifications;

/// <summary>What an invitation did for one contact.</summary>
public enum InviteStatus
{
    /// <summary>This account already receives the contact's presence; only the pre-approval was (re)sent.</summary>
    AlreadySubscribed,
    /// <summary>A subscription request (with pre-approval of the contact's own) went out and the server accepted it.</summary>
    Requested,
    Failed,
}

public sealed record InviteOutcome(string Contact, InviteStatus Status, string? Error = null);

/// <summary>A contact's availability: <c>available</c> (with resources), <c>offline</c>, or <c>unknown</c> (not subscribed, or no answer in time).</summary>
public sealed record ContactAvailability(string Contact, string State, IReadOnlyList<ResourcePresence> Resources, string? Error = null)
{
    public const string Available = "available";
    public const string Offline = "offline";
    public const string Unknown = "unknown";
}

/// <summary>The outcome of one contacts operation on one URL. <see cref="Url"/> is redacted.</summary>
public sealed record ContactsResult<T>(string Url, IReadOnlyList<T> Contacts, NotifyFailureKind Failure = NotifyFailureKind.None, string? Error = null)
{
    public bool Success => Failure == NotifyFailureKind.None;

    /// <summary>Subscription requests that reached the session, answered as the URL's <c>subscribe=</c> says.</summary>
    public IReadOnlyList<SubscriptionRequest> SubscriptionRequests { get; init; } = [];
}

/// <summary>
/// Invitations (RFC 6121 §3.1 subscription requests with §3.4 pre-approval) and availability queries for an Apprise
/// XMPP URL's account, each on its own connection that is closed before returning. Contacts are the URL's person
/// targets unless given; rooms are ignored.
/// </summary>
public sealed partial class XmppContacts(ILogger? logger = null, XmppNotifierOptions? options = null)
{
    /// <summary>Most contacts one call handles.</summary>
    public const int MaxContacts = 500;

    private readonly ILogger _logger = logger ?? NullLogger.Instance;
    private readonly XmppNotifierOptions _options = options ?? new XmppNotifierOptions();

    /// <summary>Sends each contact a subscription request with pre-approval; reports those already subscribed.</summary>
    public Task<ContactsResult<InviteOutcome>> InviteAsync(string url, IReadOnlyList<string>? contacts, CancellationToken cancellationToken) =>
        RunAsync(url, contacts, async (client, jids, invalid) =>
        {
            var outcomes = new List<InviteOutcome>(invalid.Select(i => new InviteOutcome(i.Text, InviteStatus.Failed, i.Reason)));
            var requested = new List<(Jid Jid, SubscriptionRequestResult Answer)>();
            foreach (var jid in jids)
                requested.Add((jid, await client.RequestSubscriptionAsync(jid, cancellationToken).ConfigureAwait(false)));
            // The requests count once the server has taken them.
            await client.WaitForDeliveryAsync(cancellationToken).ConfigureAwait(false);
            outcomes.AddRange(requested.Select(r => new InviteOutcome(r.Jid.ToString(),
                r.Answer == SubscriptionRequestResult.AlreadySubscribed ? InviteStatus.AlreadySubscribed : InviteStatus.Requested)));
            return outcomes;
        }, cancellationToken);

    /// <summary>
    /// Reads each contact's availability in one session: roster, initial presence with priority −1 (so no message or
    /// offline storage is diverted to this session), then the contacts' presence until known or <c>rto</c> passes.
    /// </summary>
    public Task<ContactsResult<ContactAvailability>> GetPresenceAsync(string url, IReadOnlyList<string>? contacts, CancellationToken cancellationToken) =>
        RunAsync(url, contacts, async (client, jids, invalid) =>
        {
            var outcomes = new List<ContactAvailability>(invalid.Select(i => new ContactAvailability(i.Text, ContactAvailability.Unknown, [], i.Reason)));
            var roster = await client.GetRosterAsync(cancellationToken).ConfigureAwait(false);
            await client.SendPresenceAsync(-1, cancellationToken).ConfigureAwait(false);
            var subscribed = jids.Where(j => roster.Any(r => r.Jid == j && r.SeesPresence)).ToList();
            var seen = await client.WaitForPresenceAsync(subscribed, cancellationToken).ConfigureAwait(false);
            foreach (var jid in jids)
            {
                var presence = seen.FirstOrDefault(p => p.Contact == jid);
                outcomes.Add(presence switch
                {
                    null => new ContactAvailability(jid.ToString(), ContactAvailability.Unknown, [], "this account is not subscribed to the contact's presence (invite it first)"),
                    { IsAvailable: true } => new ContactAvailability(jid.ToString(), ContactAvailability.Available, presence.Resources),
                    { IsOffline: true } => new ContactAvailability(jid.ToString(), ContactAvailability.Offline, []),
                    { Knowledge: PresenceKnowledge.NotSubscribed } => new ContactAvailability(jid.ToString(), ContactAvailability.Unknown, [], "the contact does not share its presence with this account"),
                    { Knowledge: PresenceKnowledge.Error } => new ContactAvailability(jid.ToString(), ContactAvailability.Unknown, [], "the contact's server answered with an error"),
                    _ => new ContactAvailability(jid.ToString(), ContactAvailability.Unknown, [], "no presence arrived within rto"),
                });
            }
            return outcomes;
        }, cancellationToken);

    private async Task<ContactsResult<T>> RunAsync<T>(
        string url,
        IReadOnlyList<string>? contacts,
        Func<XmppClient, List<Jid>, IReadOnlyList<InvalidTarget>, Task<List<T>>> work,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!AppriseXmppUrl.TryParse(url, out var plan, out var error))
            return new ContactsResult<T>(UrlRedaction.Redact(url), [], NotifyFailureKind.InvalidUrl, error!.Message);
        IReadOnlyList<InvalidTarget> invalid = plan!.InvalidTargets;
        var targets = contacts is { Count: > 0 } ? plan.ResolveTargets(string.Join(",", contacts), out invalid) : plan.Targets;
        var jids = targets.Where(t => t.Kind == XmppTargetKind.Chat).Select(t => t.Jid.Bare).Distinct().ToList();
        if (jids.Count > MaxContacts)
            return new ContactsResult<T>(plan.ToString(), [], NotifyFailureKind.Rejected, $"{jids.Count} contacts; at most {MaxContacts} per call");
        var clientOptions = plan.ToClientOptions();
        _options.ConfigureClient?.Invoke(clientOptions);
        await using var client = new XmppClient(clientOptions);
        try
        {
            await client.LoginAsync(cancellationToken).ConfigureAwait(false);
            var items = await work(client, jids, invalid).ConfigureAwait(false);
            await client.DisconnectAsync(cancellationToken).ConfigureAwait(false);
            return new ContactsResult<T>(plan.ToString(), items) { SubscriptionRequests = client.SubscriptionRequests };
        }
        catch (XmppException e)
        {
            LogFailed(_logger, plan, e.Message);
            return new ContactsResult<T>(plan.ToString(), [], UrlDelivery.Classify(e), e.Message) { SubscriptionRequests = client.SubscriptionRequests };
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "XMPP contacts operation on {Url} failed: {Error}")]
    private static partial void LogFailed(ILogger logger, AppriseXmppUrl url, string error);
}
