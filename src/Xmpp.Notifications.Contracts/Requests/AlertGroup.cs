using System.Globalization;
using System.Text;
using System.Text.Json;
using Xmpp.Notifications.Contracts.Json;

namespace Xmpp.Notifications.Contracts.Requests;

/// <summary>
/// The Alertmanager notification model (one group of alerts sharing routing labels) that both Prometheus Alertmanager
/// (webhook version 4) and Grafana unified alerting (webhook version 1) send, and its rendering as one readable
/// markdown message. Grafana's extra fields are optional here.
/// </summary>
internal sealed class AlertGroup
{
    public required string Status { get; init; }

    public string? Receiver { get; init; }

    public string? Title { get; init; }

    public IReadOnlyList<KeyValuePair<string, string>> GroupLabels { get; init; } = [];

    public IReadOnlyList<KeyValuePair<string, string>> CommonLabels { get; init; } = [];

    public string? ExternalUrl { get; init; }

    public long TruncatedAlerts { get; init; }

    public required IReadOnlyList<Alert> Alerts { get; init; }

    internal sealed class Alert
    {
        public required string Status { get; init; }

        public IReadOnlyList<KeyValuePair<string, string>> Labels { get; init; } = [];

        public IReadOnlyList<KeyValuePair<string, string>> Annotations { get; init; } = [];

        public DateTimeOffset? StartsAt { get; init; }

        public DateTimeOffset? EndsAt { get; init; }

        public string? GeneratorUrl { get; init; }

        public string? SilenceUrl { get; init; }

        public string? DashboardUrl { get; init; }

        public string? PanelUrl { get; init; }

        public string? ImageUrl { get; init; }

        public string? Values { get; init; }
    }

    /// <summary>Reads one group (a webhook payload object); <paramref name="grafana"/> adds Grafana's per-alert links and values.</summary>
    public static AlertGroup Read(JsonItem payload, string source, string expectedVersion, bool grafana)
    {
        if (payload.Kind != JsonValueKind.Object)
        {
            throw payload.Error($"{payload.Name} must be {source} webhook object, but it is {payload.KindName}.");
        }

        var version = payload.GetString("version");
        if (version is not null && version != expectedVersion)
        {
            var hint = grafana ? " (Alertmanager sends \"4\": use the Alertmanager endpoint)" : " (Grafana sends \"1\": use the Grafana endpoint)";
            throw payload.Find("version")!.Error($"{payload.Find("version")!.Name} is \"{JsonItem.Abbreviate(version)}\", which is not {source} webhook version; expected \"{expectedVersion}\"{hint}.");
        }

        var alertsItem = payload.GetArray("alerts")
            ?? throw payload.Error($"{Prefix(payload)}alerts is missing; {source} webhook payload lists its alerts in \"alerts\".");
        if (alertsItem.Items.Count == 0)
        {
            throw alertsItem.Error($"{alertsItem.Name} is empty; there is nothing to notify about.");
        }

        var alerts = alertsItem.Items.Select(item => ReadAlert(item, grafana)).ToList();
        var status = ReadStatus(payload) ?? (alerts.Any(a => a.Status == "firing") ? "firing" : "resolved");
        var externalUrl = payload.GetString("externalURL");
        var truncated = payload.GetInteger("truncatedAlerts") ?? 0;
        if (truncated < 0)
        {
            throw payload.Find("truncatedAlerts")!.Error($"{payload.Find("truncatedAlerts")!.Name} must not be negative, but it is {truncated}.");
        }

        payload.GetObject("commonAnnotations");
        payload.GetString("groupKey");
        if (grafana)
        {
            payload.GetInteger("orgId");
            payload.GetString("state");
            payload.GetString("message");
        }

        return new AlertGroup
        {
            Status = status,
            Receiver = payload.GetString("receiver"),
            Title = grafana ? payload.GetString("title") : null,
            GroupLabels = payload.GetStringMap("groupLabels"),
            CommonLabels = payload.GetStringMap("commonLabels"),
            ExternalUrl = externalUrl,
            TruncatedAlerts = truncated,
            Alerts = alerts,
        };
    }

    private static string Prefix(JsonItem item) => item.Path.Length == 0 ? string.Empty : item.Path + ".";

    private static string? ReadStatus(JsonItem item)
    {
        var status = item.GetString("status");
        if (status is null)
        {
            return null;
        }

        return status is "firing" or "resolved"
            ? status
            : throw item.Find("status")!.Error($"{item.Find("status")!.Name} is \"{JsonItem.Abbreviate(status)}\"; expected \"firing\" or \"resolved\".");
    }

    private static Alert ReadAlert(JsonItem item, bool grafana)
    {
        if (item.Kind != JsonValueKind.Object)
        {
            throw item.Error($"{item.Name} must be an alert object, but it is {item.KindName}.");
        }

        var status = ReadStatus(item) ?? throw item.Error($"{Prefix(item)}status is missing; expected \"firing\" or \"resolved\".");
        item.GetString("fingerprint");
        return new Alert
        {
            Status = status,
            Labels = item.GetStringMap("labels"),
            Annotations = item.GetStringMap("annotations"),
            StartsAt = ReadTime(item, "startsAt"),
            EndsAt = ReadTime(item, "endsAt"),
            GeneratorUrl = item.GetString("generatorURL"),
            SilenceUrl = grafana ? item.GetString("silenceURL") : null,
            DashboardUrl = grafana ? item.GetString("dashboardURL") : null,
            PanelUrl = grafana ? item.GetString("panelURL") : null,
            ImageUrl = grafana ? item.GetString("imageURL") : null,
            Values = grafana ? ReadValues(item) : null,
        };
    }

    /// <summary>RFC 3339 time; Go's zero time (0001-01-01T00:00:00Z) means "not set".</summary>
    private static DateTimeOffset? ReadTime(JsonItem item, string name)
    {
        var text = item.GetString(name);
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            throw item.Find(name)!.Error($"{item.Find(name)!.Name} is \"{JsonItem.Abbreviate(text)}\", which is not an RFC 3339 time such as 2024-05-01T12:00:00Z.");
        }

        return time.Year <= 1 ? null : time;
    }

    private static string? ReadValues(JsonItem alert)
    {
        var values = alert.GetObject("values");
        if (values is null)
        {
            return alert.GetString("valueString");
        }

        var parts = new List<string>();
        foreach (var (name, value) in values.Properties)
        {
            parts.Add(value.Kind switch
            {
                JsonValueKind.Number => $"{name}={FormatNumber(value.Text!)}",
                JsonValueKind.Null => $"{name}=null",
                _ => throw value.Error($"{value.Name} must be a number, but it is {value.KindName}."),
            });
        }

        return parts.Count == 0 ? null : string.Join(", ", parts);
    }

    private static string FormatNumber(string raw) =>
        double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)
            ? number.ToString("G6", CultureInfo.InvariantCulture)
            : JsonItem.Abbreviate(raw, 24);

    // ---- rendering ----

    private static readonly string[] KeyLabels = ["severity", "instance", "job"];

    /// <summary><c>[FIRING:2] HighLatency (job=api, severity=critical)</c> or <c>[RESOLVED] …</c>.</summary>
    public string RenderTitle()
    {
        if (!string.IsNullOrWhiteSpace(Title))
        {
            return string.Join(' ', Title.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        }

        var badge = Status == "firing" ? $"[FIRING:{Alerts.Count(a => a.Status == "firing")}]" : "[RESOLVED]";
        var qualifiers = GroupLabels.Where(l => l.Key != "alertname").OrderBy(l => l.Key, StringComparer.Ordinal).ToList();
        if (!qualifiers.Any(l => l.Key == "severity") && Lookup(CommonLabels, "severity") is { } severity)
        {
            qualifiers.Add(new("severity", severity));
        }

        var title = $"{badge} {GroupName()}";
        return qualifiers.Count == 0 ? title : $"{title} ({string.Join(", ", qualifiers.Select(l => $"{l.Key}={l.Value}"))})";
    }

    private string GroupName()
    {
        if ((Lookup(GroupLabels, "alertname") ?? Lookup(CommonLabels, "alertname")) is { } name)
        {
            return name;
        }

        var names = Alerts.Select(a => Lookup(a.Labels, "alertname")).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        return names.Count switch
        {
            0 => Receiver ?? "Alert",
            <= 3 => string.Join(", ", names),
            _ => $"{string.Join(", ", names.Take(3))} +{names.Count - 3} more",
        };
    }

    /// <summary>
    /// Markdown: one block per alert (status and name, summary, description, key labels, values, times, links),
    /// then links for the whole group. Stops adding alerts before the body limit and says how many were left out.
    /// </summary>
    public string RenderBody(string product, Func<AlertGroup, string?> groupSilenceUrl)
    {
        var body = new StringBuilder();
        var budget = XmppMessageJson.MaxBodyBytes - 2048;
        var shown = 0;
        foreach (var alert in Alerts)
        {
            var block = RenderAlert(alert);
            if (Encoding.UTF8.GetByteCount(block) + Encoding.UTF8.GetByteCount(body.ToString()) > budget)
            {
                break;
            }

            body.Append(block).Append('\n');
            shown++;
        }

        var notShown = Alerts.Count - shown + TruncatedAlerts;
        if (notShown > 0)
        {
            body.Append(CultureInfo.InvariantCulture, $"_{notShown} more alert{(notShown == 1 ? "" : "s")} not shown._\n\n");
        }

        var links = new List<string>();
        AddLink(links, "Silence", groupSilenceUrl(this));
        AddLink(links, $"Open {product}", ExternalUrl);
        if (links.Count > 0)
        {
            body.Append(string.Join(" · ", links)).Append('\n');
        }

        return body.ToString().TrimEnd('\n');
    }

    private string RenderAlert(Alert alert)
    {
        var block = new StringBuilder();
        var name = Lookup(alert.Labels, "alertname") ?? GroupName();
        block.Append(CultureInfo.InvariantCulture, $"**{(alert.Status == "firing" ? "FIRING" : "RESOLVED")}** {MarkdownText.Escape(name)}\n");
        AddLine(block, "Summary", Lookup(alert.Annotations, "summary"));
        AddLine(block, "Description", Lookup(alert.Annotations, "description") ?? Lookup(alert.Annotations, "message"));

        var labels = new List<KeyValuePair<string, string>>();
        foreach (var key in KeyLabels.Concat(GroupLabels.Select(l => l.Key).OrderBy(k => k, StringComparer.Ordinal)))
        {
            if (key != "alertname" && !labels.Any(l => l.Key == key) && Lookup(alert.Labels, key) is { } value)
            {
                labels.Add(new(key, value));
            }
        }

        AddLine(block, "Labels", labels.Count == 0 ? null : string.Join(", ", labels.Select(l => $"{l.Key}={l.Value}")));
        AddLine(block, "Values", alert.Values);
        AddLine(block, "Started", FormatTime(alert.StartsAt));
        if (alert.Status == "resolved")
        {
            AddLine(block, "Ended", FormatTime(alert.EndsAt));
        }

        var links = new List<string>();
        AddLink(links, "Source", alert.GeneratorUrl);
        AddLink(links, "Runbook", Lookup(alert.Annotations, "runbook_url"));
        AddLink(links, "Dashboard", alert.DashboardUrl);
        AddLink(links, "Panel", alert.PanelUrl);
        AddLink(links, "Image", alert.ImageUrl);
        AddLink(links, "Silence", alert.SilenceUrl);
        if (links.Count > 0)
        {
            block.Append("- ").Append(string.Join(" · ", links)).Append('\n');
        }

        return block.ToString();
    }

    private static void AddLine(StringBuilder block, string label, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            block.Append(CultureInfo.InvariantCulture, $"- {label}: {MarkdownText.EscapeMultiline(value.Trim(), "  ")}\n");
        }
    }

    private static void AddLink(List<string> links, string text, string? url)
    {
        if (MarkdownText.SafeUrl(url) is { } safe)
        {
            links.Add($"[{text}](<{safe}>)");
        }
    }

    private static string? FormatTime(DateTimeOffset? time) =>
        time?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    public static string? Lookup(IReadOnlyList<KeyValuePair<string, string>> map, string key)
    {
        foreach (var (k, v) in map)
        {
            if (k == key)
            {
                return v;
            }
        }

        return null;
    }

    /// <summary>Reads a payload: one group object, or an array of groups (e.g. batched through a queue).</summary>
    public static IReadOnlyList<XmppMessage> ParsePayload(ReadOnlyMemory<byte> json, Func<JsonItem, XmppMessage> readGroup)
    {
        if (json.IsEmpty)
        {
            throw new NotificationFormatException("The webhook body is empty.");
        }

        XmppMessageJson.CheckPayloadSize(json.Length);
        var bytes = XmppMessageJson.SkipBom(json.Span);
        NotificationRequestParser.DecodeUtf8(bytes);
        var root = JsonItem.Parse(bytes, XmppMessageJson.MaxJsonDepth);
        if (root.Kind != JsonValueKind.Array)
        {
            return [readGroup(root)];
        }

        if (root.Items.Count == 0 || root.Items.Count > XmppMessageJson.MaxMessagesPerPayload)
        {
            throw root.Error($"The payload array has {root.Items.Count} groups; send 1 to {XmppMessageJson.MaxMessagesPerPayload}.");
        }

        return root.Items.Select(readGroup).ToList();
    }
}
