using Xmpp.Notifications.Contracts.Json;

namespace Xmpp.Notifications.Contracts.Requests;

/// <summary>
/// Grafana unified alerting's webhook contact point payload (version "1"): Alertmanager's model plus per-alert
/// <c>values</c>, <c>silenceURL</c>, <c>dashboardURL</c>, <c>panelURL</c> and a rendered <c>title</c>. One notification per
/// group: the payload's <c>title</c> when present (whitespace collapsed), else an Alertmanager-style title; a markdown
/// body listing each alert with its values and links to source, runbook, dashboard, panel and silence. Grafana's
/// pre-rendered <c>message</c> is ignored in favour of that body. Messages have no <c>To</c>.
/// </summary>
public static class GrafanaWebhook
{
    public static IReadOnlyList<XmppMessage> Parse(ReadOnlyMemory<byte> json) =>
        AlertGroup.ParsePayload(json, ReadGroup);

    private static XmppMessage ReadGroup(JsonItem payload)
    {
        var group = AlertGroup.Read(payload, "a Grafana", "1", grafana: true);
        return new XmppMessage
        {
            Title = group.RenderTitle(),
            Body = group.RenderBody("Grafana", _ => null),
            Format = "markdown",
        };
    }
}
