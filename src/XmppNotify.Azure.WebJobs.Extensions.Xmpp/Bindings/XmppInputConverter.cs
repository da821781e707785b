using Microsoft.Azure.WebJobs;
using Newtonsoft.Json.Linq;
using Xmpp.Notifications;
using XmppNotify.Azure.WebJobs.Extensions.Xmpp.KeyVault;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp.Bindings;

/// <summary>The input bindings: contacts' availability (<see cref="XmppPresenceAttribute"/>) and the inbox (<see cref="XmppInboxAttribute"/>); a failed session fails the invocation.</summary>
internal sealed class XmppInputConverter(
    XmppOptions options,
    Func<string, string?> readSetting,
    XmppConnectionResolver resolver,
    XmppContacts contacts,
    XmppInbox inbox) : IAsyncConverter<XmppPresenceAttribute, ContactAvailability[]>, IAsyncConverter<XmppInboxAttribute, InboxBatch>
{
    private static readonly char[] Separators = [',', ';', ' ', '\t', '\r', '\n'];

    public async Task<ContactAvailability[]> ConvertAsync(XmppPresenceAttribute input, CancellationToken cancellationToken)
    {
        var url = await FirstUrlAsync(input.Connection, cancellationToken).ConfigureAwait(false);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.DeliveryTimeout);
        var result = await contacts.GetPresenceAsync(url, input.Contacts?.Split(Separators, StringSplitOptions.RemoveEmptyEntries), timeout.Token).ConfigureAwait(false);
        return result.Success
            ? result.Contacts.ToArray()
            : throw new InvalidOperationException($"XMPP presence for {result.Url} failed ({result.Failure}): {result.Error}");
    }

    /// <summary>The batch since <see cref="XmppInboxAttribute.Checkpoint"/>; a failed session or a bad checkpoint fails the invocation.</summary>
    public async Task<InboxBatch> ConvertAsync(XmppInboxAttribute input, CancellationToken cancellationToken)
    {
        var url = await FirstUrlAsync(input.Connection, cancellationToken).ConfigureAwait(false);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.DeliveryTimeout);
        var batch = await inbox.FetchAsync(url, string.IsNullOrWhiteSpace(input.Checkpoint) ? null : input.Checkpoint.Trim(), new InboxOptions { MaxItems = input.MaxItems }, timeout.Token).ConfigureAwait(false);
        return batch.Success ? batch : throw new InvalidOperationException($"XMPP inbox for {batch.Url} failed ({batch.Failure}): {batch.Error}");
    }

    /// <summary>The worker's shape of a batch: {checkpoint, more, source, items: [{kind, archiveId, id, from, to, type, body, subject, thread, timestamp, stanza, truncated}]}.</summary>
    public static JObject ToJObject(InboxBatch batch) => new()
    {
        ["checkpoint"] = batch.Checkpoint,
        ["more"] = batch.More,
        ["source"] = batch.Source,
        ["items"] = new JArray(batch.Items.Select(i => new JObject
        {
            ["kind"] = i.Kind,
            ["archiveId"] = i.ArchiveId,
            ["id"] = i.Id,
            ["from"] = i.From,
            ["to"] = i.To,
            ["type"] = i.Type,
            ["body"] = i.Body,
            ["subject"] = i.Subject,
            ["thread"] = i.Thread,
            ["timestamp"] = i.Timestamp?.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["stanza"] = i.Stanza,
            ["truncated"] = i.Truncated,
        })),
    };

    private async Task<string> FirstUrlAsync(string? connection, CancellationToken cancellationToken)
    {
        var setting = string.IsNullOrWhiteSpace(connection) ? options.Connection ?? XmppOptions.DefaultConnectionSettingName : connection;
        var urls = await resolver.ResolveAsync(setting, readSetting(setting), cancellationToken).ConfigureAwait(false);
        return (urls.Count > 0 ? urls[0].Url : null) ?? throw new InvalidOperationException($"The setting '{setting}' holds no XMPP URL.");
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
