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

    // Kept as sent: "2.473545728e+09" is what the query returned, and rounding it would hide the digits that changed.
    private static string FormatNumber(string raw) => JsonItem.Abbreviate(raw, 32);

    // ---- rendering (read on a phone: the title names the alerts, each block leads with what tells it apart) ----

    private static readonly string[] KeyLabels = ["severity", "instance", "job"];

    /// <summary><c>[FIRING:2] HighLatency (job=api, severity=critical)</c> or <c>[RESOLVED] …</c>.</summary>
    public string RenderTitle()
    {
        if (!string.IsNullOrWhiteSpace(Title))
        {
            var title = string.Join(' ', Title.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
            var names = AlertNames();

            // Grafana's default title lists the group label values only: "[FIRING:2] (blue)" when grouped by team.
            var close = title.IndexOf(']', StringComparison.Ordinal);
            if (title.StartsWith('[') && close > 0 && names.Count > 0 && !names.Any(n => title.Contains(n, StringComparison.Ordinal)))
            {
                var rest = title[(close + 1)..].Trim();
                title = $"{title[..(close + 1)]} {NameList(names)}{(rest.Length > 0 ? " " + rest : "")}";
            }

            return title;
        }

        var badge = Status == "firing" ? $"[FIRING:{Alerts.Count(a => a.Status == "firing")}]" : "[RESOLVED]";
        var qualifiers = TitleLabels();
        var text = $"{badge} {GroupName()}";
        return qualifiers.Count == 0 ? text : $"{text} ({string.Join(", ", qualifiers.Select(l => $"{l.Key}={l.Value}"))})";
    }

    /// <summary>The labels the generated title shows after the name: group labels, plus the common severity.</summary>
    private List<KeyValuePair<string, string>> TitleLabels()
    {
        var labels = GroupLabels.Where(l => l.Key != "alertname" && !string.IsNullOrWhiteSpace(l.Value)).OrderBy(l => l.Key, StringComparer.Ordinal).ToList();
        if (!labels.Any(l => l.Key == "severity") && Lookup(CommonLabels, "severity") is { } severity)
        {
            labels.Add(new("severity", severity));
        }

        return labels;
    }

    private string GroupName()
    {
        if ((Lookup(GroupLabels, "alertname") ?? Lookup(CommonLabels, "alertname")) is { } name)
        {
            return name;
        }

        var names = AlertNames();
        return names.Count == 0 ? (string.IsNullOrWhiteSpace(Receiver) ? "Alert" : Receiver.Trim()) : NameList(names);
    }

    private List<string> AlertNames() =>
        Alerts.Select(a => Lookup(a.Labels, "alertname")).OfType<string>().Distinct(StringComparer.Ordinal).ToList();

    private static string NameList(List<string> names) => names.Count <= 3
        ? string.Join(", ", names)
        : $"{string.Join(", ", names.Take(3))} +{names.Count - 3} more";

    /// <summary>Label keys whose values differ between the alerts of the group: what tells one alert from the next.</summary>
    private List<string> DifferingLabels()
    {
        if (Alerts.Count < 2)
        {
            return [];
        }

        var keys = Alerts.SelectMany(a => a.Labels.Select(l => l.Key)).Where(k => k != "alertname" && !k.StartsWith("__", StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal).ToList();
        var differing = keys.Where(k => Alerts.Select(a => Lookup(a.Labels, k) ?? "").Distinct(StringComparer.Ordinal).Skip(1).Any()).ToList();
        return differing.OrderBy(k => Array.IndexOf(KeyLabels, k) is var i && i >= 0 ? i : KeyLabels.Length)
            .ThenBy(k => k, StringComparer.Ordinal).Take(4).ToList();
    }

    /// <summary>
    /// Markdown: annotations shared by every alert once at the top, then one block per alert (status, name when the
    /// title does not already say it, the labels that differ, its own annotations, values, times, and its links last),
    /// then links for the whole group. Stops adding alerts before the body limit and says how many were left out.
    /// </summary>
    public string RenderBody(string product, Func<AlertGroup, string?> groupSilenceUrl)
    {
        var body = new StringBuilder();
        var shared = new List<string>();
        if (Alerts.Count > 1)
        {
            foreach (var key in new[] { "summary", "description" })
            {
                var values = Alerts.Select(a => AnnotationText(a, key)).Distinct(StringComparer.Ordinal).ToList();
                if (values.Count == 1 && values[0] is { } value)
                {
                    shared.Add(key);
                    body.Append(MarkdownText.EscapeMultiline(value.Trim(), string.Empty)).Append("\n\n");
                }
            }
        }

        var differing = DifferingLabels();
        var budget = XmppMessageJson.MaxBodyBytes - 2048;
        var shown = 0;
        foreach (var alert in Alerts)
        {
            var block = RenderAlert(alert, differing, shared);
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

    private static string? AnnotationText(Alert alert, string key) => key == "description"
        ? Lookup(alert.Annotations, "description") ?? Lookup(alert.Annotations, "message")
        : Lookup(alert.Annotations, key);

    private string RenderAlert(Alert alert, List<string> differing, List<string> shared)
    {
        var block = new StringBuilder();
        var heading = new List<string>();
        var name = Lookup(alert.Labels, "alertname");
        var titleNames = AlertNames();

        // With one alert name in the group the title already says it; repeating it in every block hides what differs.
        if (name is not null && (titleNames.Count > 1 || differing.Count == 0))
        {
            heading.Add(MarkdownText.Escape(name));
        }

        foreach (var key in differing)
        {
            if (Lookup(alert.Labels, key) is { } value)
            {
                heading.Add(MarkdownText.Escape($"{key}={value}"));
            }
        }

        if (heading.Count == 0)
        {
            heading.Add(MarkdownText.Escape(GroupName()));
        }

        block.Append(CultureInfo.InvariantCulture, $"**{(alert.Status == "firing" ? "FIRING" : "RESOLVED")}** {string.Join(" · ", heading)}\n");
        if (!shared.Contains("summary"))
        {
            AddLine(block, "Summary", AnnotationText(alert, "summary"));
        }

        if (!shared.Contains("description"))
        {
            AddLine(block, "Description", AnnotationText(alert, "description"));
        }

        // Labels the title and the heading do not show already.
        var inTitle = TitleLabels().Select(l => l.Key).ToHashSet(StringComparer.Ordinal);
        var labels = new List<KeyValuePair<string, string>>();
        foreach (var key in KeyLabels.Concat(GroupLabels.Select(l => l.Key).OrderBy(k => k, StringComparer.Ordinal)))
        {
            if (key != "alertname" && !inTitle.Contains(key) && !differing.Contains(key) && !labels.Any(l => l.Key == key) &&
                Lookup(alert.Labels, key) is { } value)
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

        // Each link once, last in its block: a short label in XHTML-IM, "label (url)" in the plain text.
        var links = new List<string>();
        AddLink(links, "Source", alert.GeneratorUrl);
        AddLink(links, "Runbook", Lookup(alert.Annotations, "runbook_url"));
        AddLink(links, alert.PanelUrl is not null && MarkdownText.SafeUrl(alert.PanelUrl) is not null ? "Panel" : "Dashboard",
            MarkdownText.SafeUrl(alert.PanelUrl) ?? alert.DashboardUrl);
        AddLink(links, "Image", alert.ImageUrl);
        AddLink(links, "Silence", alert.SilenceUrl);
        if (links.Count > 0)
        {
            block.Append("- ").Append(string.Join(" · ", links.Distinct(StringComparer.Ordinal))).Append('\n');
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
                // An empty label ("alertname": "") says nothing; treating it as absent keeps titles from ending in a blank.
                return string.IsNullOrWhiteSpace(v) ? null : v;
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
