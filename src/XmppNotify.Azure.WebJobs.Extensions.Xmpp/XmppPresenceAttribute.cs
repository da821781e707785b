using Microsoft.Azure.WebJobs.Description;
using Microsoft.Azure.WebJobs;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp;

/// <summary>
/// Input binding: the availability of contacts of the connection's account, read in one XMPP session when the function
/// starts (roster, presence with priority −1, contacts' presence until known or the URL's <c>rto</c>). Binds
/// <c>ContactAvailability[]</c>, <c>IReadOnlyList&lt;ContactAvailability&gt;</c>, <c>string</c> (JSON array, what the
/// isolated worker receives) and <c>JArray</c>. Contacts this account is not subscribed to are <c>unknown</c>.
/// </summary>
[Binding]
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class XmppPresenceAttribute : Attribute, IConnectionProvider
{
    /// <summary>App setting with the Apprise XMPP URL (the first one when it holds several); as for <see cref="XmppAttribute.Connection"/>.</summary>
    public string? Connection { get; set; }

    /// <summary>Contacts (JIDs or localparts, separated by commas, semicolons or whitespace); default: the URL's person targets.</summary>
    [AutoResolve]
    public string? Contacts { get; set; }
}
