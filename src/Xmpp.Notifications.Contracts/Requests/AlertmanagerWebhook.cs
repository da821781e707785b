using System.Text;
using Xmpp.Notifications.Contracts.Json;

namespace Xmpp.Notifications.Contracts.Requests;

/// <summary>
/// Prometheus Alertmanager's webhook receiver payload (<c>webhook_config</c>, version "4"): one notification per alert
/// group, titled like Alertmanager's own default (<c>[FIRING:2] HighLatency (job=api, severity=critical)</c>: the
/// firing count, the alert name, then the group labels and the common severity) with a markdown body listing each alert.
/// A JSON array of payloads gives one message per payload. Messages have no <c>To</c>: the URL's targets receive them.
/// </summary>
public static class AlertmanagerWebhook
{
    public static IReadOnlyList<XmppMessage> Parse(ReadOnlyMemory<byte> json) =>
        AlertGroup.ParsePayload(json, ReadGroup);

    private static XmppMessage ReadGroup(JsonItem payload)
    {
        var group = AlertGroup.Read(payload, "an Alertmanager", "4", grafana: false);
        return new XmppMessage
        {
            Title = group.RenderTitle(),
            Body = group.RenderBody("Alertmanager", SilenceUrl),
            Format = "markdown",
        };
    }

    /// <summary>Alertmanager's "new silence" page pre-filled with the group's matchers.</summary>
    private static string? SilenceUrl(AlertGroup group)
    {
        if (MarkdownText.SafeUrl(group.ExternalUrl) is not { } external)
        {
            return null;
        }

        var labels = group.GroupLabels.Count > 0 ? group.GroupLabels : group.CommonLabels;
        if (labels.Count == 0)
        {
            return null;
        }

        var filter = new StringBuilder("{");
        foreach (var (name, value) in labels)
        {
            if (filter.Length > 1)
            {
                filter.Append(", ");
            }

            filter.Append(name).Append("=\"").Append(value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
        }

        filter.Append('}');
        return $"{external.TrimEnd('/')}/#/silences/new?filter={Uri.EscapeDataString(filter.ToString())}";
    }
}
