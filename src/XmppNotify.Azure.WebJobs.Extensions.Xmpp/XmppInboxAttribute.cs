using Microsoft.Azure.WebJobs;
using Microsoft.Azure.WebJobs.Description;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp;

/// <summary>
/// Input binding: what arrived for the connection's account since <see cref="Checkpoint"/>, read in one XMPP session
/// when the function starts (XEP-0313 archive, else offline storage). Binds <c>InboxBatch</c>, <c>string</c> (JSON,
/// what the isolated worker receives) and <c>JObject</c>. Store the batch's checkpoint only after handling its items.
/// </summary>
[Binding]
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class XmppInboxAttribute : Attribute, IConnectionProvider
{
    /// <summary>App setting with the Apprise XMPP URL (the first one when it holds several).</summary>
    public string? Connection { get; set; }

    /// <summary>The checkpoint of the previous batch, usually a binding expression (e.g. from a blob); empty starts from now.</summary>
    [AutoResolve]
    public string? Checkpoint { get; set; }

    /// <summary>Most items per batch, 1 to 1000.</summary>
    public int MaxItems { get; set; } = 100;
}
