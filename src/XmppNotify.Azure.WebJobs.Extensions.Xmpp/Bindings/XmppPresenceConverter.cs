using Microsoft.Azure.WebJobs;
using Newtonsoft.Json.Linq;
using Xmpp.Notifications;
using XmppNotify.Azure.WebJobs.Extensions.Xmpp.KeyVault;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp.Bindings;

/// <summary>Reads contacts' availability for <see cref="XmppPresenceAttribute"/>; a failed session fails the invocation.</summary>
internal sealed class XmppPresenceConverter(
    XmppOptions options,
    Func<string, string?> readSetting,
    XmppConnectionResolver resolver,
    XmppContacts contacts) : IAsyncConverter<XmppPresenceAttribute, ContactAvailability[]>
{
    private static readonly char[] Separators = [',', ';', ' ', '\t', '\r', '\n'];

    public async Task<ContactAvailability[]> ConvertAsync(XmppPresenceAttribute input, CancellationToken cancellationToken)
    {
        var setting = string.IsNullOrWhiteSpace(input.Connection) ? options.Connection ?? XmppOptions.DefaultConnectionSettingName : input.Connection;
        var urls = await resolver.ResolveAsync(setting, readSetting(setting), cancellationToken).ConfigureAwait(false);
        var url = (urls.Count > 0 ? urls[0].Url : null) ?? throw new InvalidOperationException($"The setting '{setting}' holds no XMPP URL.");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.DeliveryTimeout);
        var result = await contacts.GetPresenceAsync(url, input.Contacts?.Split(Separators, StringSplitOptions.RemoveEmptyEntries), timeout.Token).ConfigureAwait(false);
        return result.Success
            ? result.Contacts.ToArray()
            : throw new InvalidOperationException($"XMPP presence for {result.Url} failed ({result.Failure}): {result.Error}");
    }

    /// <summary>The worker's shape: a JSON array of {contact, state, resources[{resource, show, status, priority}], error}.</summary>
    public static JArray ToJArray(ContactAvailability[] contacts) => new(contacts.Select(c => new JObject
    {
        ["contact"] = c.Contact,
        ["state"] = c.State,
        ["resources"] = new JArray(c.Resources.Select(r => new JObject
        {
            ["resource"] = r.Resource,
            ["show"] = r.Show,
            ["status"] = r.Status,
            ["priority"] = r.Priority,
        })),
        ["error"] = c.Error,
    }));
}
