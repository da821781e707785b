using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xmpp.Notifications.Contracts.Json;

namespace Xmpp.Notifications.Contracts.Requests;

/// <summary>
/// Azure Monitor action-group webhooks in the common alert schema (<c>"schemaId": "azureMonitorCommonAlertSchema"</c>):
/// one message per alert, titled <c>[FIRED Sev2] rule (resource)</c> or <c>[RESOLVED Sev2] …</c>, with a markdown body
/// that says what crossed which line on which resource, and links to the portal.
/// <para>The <c>essentials</c> section is the same for every signal; the <c>alertContext</c> depends on the monitoring
/// service, and each known shape gets its own lines: metric criteria (static, dynamic, availability tests), log search
/// alerts (V1 <c>SearchQuery</c> and V2 <c>LogQueryCriteria</c>), activity log events (administrative, policy,
/// autoscale, security), resource health, service health, Prometheus rules, smart detectors and cost budgets.
/// An unknown context still gives the essentials. Field kinds vary between services (<c>"level": 3</c> next to
/// <c>"level": "Informational"</c>, thresholds as strings): scalars are read as text, whatever their JSON kind.</para>
/// <para>A payload in another schema (the older metric, log or activity-log webhooks, or budget notifications) is
/// refused with a hint to enable the common alert schema on the action group. A JSON array of payloads gives one
/// message per element (e.g. batched through a queue). Messages have no <c>To</c>: the URL's targets receive them.</para>
/// </summary>
public static partial class AzureMonitorAlert
{
    public const string CommonSchemaId = "azureMonitorCommonAlertSchema";

    private const string Portal = "https://portal.azure.com/";

    public static IReadOnlyList<XmppMessage> Parse(ReadOnlyMemory<byte> json) =>
        AlertGroup.ParsePayload(json, ReadAlert);

    private static XmppMessage ReadAlert(JsonItem payload)
    {
        if (payload.Kind != JsonValueKind.Object)
        {
            throw payload.Error($"{payload.Name} must be an Azure Monitor alert object, but it is {payload.KindName}.");
        }

        var schemaId = Scalar(payload.Find("schemaId"));
        if (!string.Equals(schemaId, CommonSchemaId, StringComparison.OrdinalIgnoreCase))
        {
            var what = schemaId is null ? "has no schemaId" : $"has schemaId \"{JsonItem.Abbreviate(schemaId)}\"";
            throw payload.Error(
                $"{payload.Name} {what}; this endpoint reads the common alert schema (\"{CommonSchemaId}\"). " +
                "Turn on \"Enable the common alert schema\" for the webhook action in the action group.");
        }

        var data = payload.GetObject("data") ?? throw payload.Error($"{Prefix(payload)}data is missing; a common-schema alert carries \"data\": {{\"essentials\": …, \"alertContext\": …}}.");
        var essentials = data.GetObject("essentials") ?? throw data.Error($"{data.Path}.essentials is missing; every common-schema alert has it.");
        var context = data.Find("alertContext") is { Kind: JsonValueKind.Object } c ? c : null;

        var alert = new Essentials(essentials);
        var lines = new List<string>();
        var links = new List<string>();

        AddLine(lines, "Resource", alert.ResourceLine());
        AddLine(lines, "Description", alert.Description);

        if (context is not null)
        {
            ReadContext(alert, context, lines, links);
        }

        // After the context: a health event's own status decides whether it reads as fired or resolved.
        lines.Insert(0, alert.Headline());
        AddLine(lines, "Fired", FormatTime(alert.Fired));
        AddLine(lines, "Resolved", FormatTime(alert.Resolved));
        foreach (var (name, value) in Properties(data.Find("customProperties")))
        {
            AddLine(lines, name, value);
        }

        AddLink(links, "Alert", alert.PortalUrl());
        AddLink(links, "Resource", alert.ResourceUrl());
        if (links.Count > 0)
        {
            lines.Add("- " + string.Join(" · ", links.Distinct(StringComparer.Ordinal)));
        }

        var message = new XmppMessage
        {
            Title = alert.Title(),
            // The alert context's custom properties and data.customProperties usually repeat each other.
            Body = string.Join('\n', lines.Distinct(StringComparer.Ordinal)),
            Format = "markdown",
        };
        XmppMessageJson.Validate(message, "The Azure Monitor alert");
        return message;
    }

    private static string Prefix(JsonItem item) => item.Path.Length == 0 ? string.Empty : item.Path + ".";

    // ---- the essentials ----

    private sealed class Essentials
    {
        public Essentials(JsonItem item)
        {
            AlertId = Scalar(item.Find("alertId"));
            Rule = Scalar(item.Find("alertRule"));
            Severity = Scalar(item.Find("severity"));
            SignalType = Scalar(item.Find("signalType"));
            Condition = Scalar(item.Find("monitorCondition"));
            Service = Scalar(item.Find("monitoringService"));
            Description = Scalar(item.Find("description"));
            Targets = Strings(item.Find("alertTargetIDs"));
            ConfigurationItems = Strings(item.Find("configurationItems"));
            Fired = Time(item, "firedDateTime");
            Resolved = Time(item, "resolvedDateTime");
        }

        public string? AlertId { get; }

        public string? Rule { get; set; }

        public string? Severity { get; }

        public string? SignalType { get; }

        public string? Condition { get; }

        public string? Service { get; }

        public string? Description { get; }

        public List<string> Targets { get; }

        public List<string> ConfigurationItems { get; }

        public DateTimeOffset? Fired { get; }

        public DateTimeOffset? Resolved { get; }

        /// <summary>
        /// Health events arrive with monitorCondition "Fired" both when they start and when they end: the alert context's
        /// status ("Resolved") is what says the incident is over.
        /// </summary>
        public bool EventResolved { get; set; }

        /// <summary>What a health event is about ("Degraded connectivity to …"): says more in a title than a subscription ID.</summary>
        public string? Event { get; set; }

        public string State => EventResolved ? "Resolved" : Condition ?? "Alert";

        public string Title()
        {
            var state = State.ToUpperInvariant();
            var badge = Severity is null ? $"[{state}]" : $"[{state} {Severity}]";
            var subject = Event is { } text ? $": {text}" : Resource() is { } resource ? $" ({resource})" : "";
            return Collapse($"{badge} {Rule ?? Service ?? "Azure Monitor alert"}{subject}");
        }

        /// <summary><c>**Fired** · Sev2 Warning · Metric · Platform</c>.</summary>
        public string Headline()
        {
            var parts = new List<string> { $"**{MarkdownText.Escape(State)}**" };
            if (Severity is not null)
            {
                parts.Add(MarkdownText.Escape(SeverityName(Severity) is { } name ? $"{Severity} {name}" : Severity));
            }

            if (SignalType is not null && (Service is null || !Service.StartsWith(SignalType, StringComparison.OrdinalIgnoreCase)))
            {
                parts.Add(MarkdownText.Escape(SignalType));
            }

            if (Service is not null)
            {
                parts.Add(MarkdownText.Escape(Service));
            }

            return string.Join(" · ", parts);
        }

        /// <summary>The affected resource's name: the configuration item, else the last segment of the target ID.</summary>
        public string? Resource()
        {
            var names = ConfigurationItems.Count > 0 ? ConfigurationItems : Targets.Select(NameOf).OfType<string>().ToList();
            return names.Count switch
            {
                0 => null,
                1 => names[0],
                _ => $"{names[0]} +{names.Count - 1}",
            };
        }

        public string? ResourceLine()
        {
            if (Targets.Count == 0)
            {
                return ConfigurationItems.Count > 0 ? string.Join(", ", ConfigurationItems) : null;
            }

            var described = Targets.Take(5).Select(Describe).ToList();
            if (Targets.Count > 5)
            {
                described.Add($"+{Targets.Count - 5} more");
            }

            return string.Join("; ", described);
        }

        public string? PortalUrl() => AlertId is { Length: > 0 } id && id.StartsWith('/')
            ? $"{Portal}#blade/Microsoft_Azure_Monitoring_Alerts/AlertDetailsTemplateBlade/alertId/{Uri.EscapeDataString(id)}"
            : null;

        public string? ResourceUrl() => Targets.Count == 1 && Targets[0].StartsWith("/subscriptions/", StringComparison.OrdinalIgnoreCase)
            ? $"{Portal}#resource{string.Join('/', Targets[0].Split('/').Select(Uri.EscapeDataString))}"
            : null;

        private static string? NameOf(string id) => id.TrimEnd('/').Split('/') is { Length: > 0 } parts && parts[^1].Length > 0 ? parts[^1] : null;

        /// <summary><c>wcus-r2-gen2 (virtualmachines in pipelinealertrg)</c> from an ARM resource ID.</summary>
        private static string Describe(string id)
        {
            var parts = id.Trim('/').Split('/');
            string? group = null;
            string? type = null;
            for (var i = 0; i + 1 < parts.Length; i++)
            {
                if (parts[i].Equals("resourcegroups", StringComparison.OrdinalIgnoreCase))
                {
                    group = parts[i + 1];
                }
                else if (parts[i].Equals("providers", StringComparison.OrdinalIgnoreCase) && i + 2 < parts.Length)
                {
                    type = parts[i + 2];
                }
            }

            var name = NameOf(id) ?? id;
            if (parts.Length == 2 && parts[0].Equals("subscriptions", StringComparison.OrdinalIgnoreCase))
            {
                return $"subscription {name}";
            }

            var where = (type, group) switch
            {
                (not null, not null) => $" ({type} in {group})",
                (not null, null) => $" ({type})",
                (null, not null) => $" (in {group})",
                _ => "",
            };
            return name + where;
        }
    }

    private static string? SeverityName(string severity) => severity.Trim() switch
    {
        "Sev0" => "Critical",
        "Sev1" => "Error",
        "Sev2" => "Warning",
        "Sev3" => "Informational",
        "Sev4" => "Verbose",
        _ => null,
    };

    // ---- the alert context, by shape ----

    private static void ReadContext(Essentials alert, JsonItem context, List<string> lines, List<string> links)
    {
        if (context.GetObject("condition") is { } condition && condition.GetArray("allOf") is { } allOf)
        {
            ReadCriteria(Scalar(context.Find("conditionType")), condition, allOf, lines, links);
        }
        else if (Scalar(context.Find("SearchQuery")) is { } query)
        {
            ReadLogSearchV1(context, query, lines, links);
        }
        else if (Scalar(context.Find("operationName")) is { } operation)
        {
            ReadActivityLog(alert, context, operation, lines);
        }
        else if (Scalar(context.Find("expression")) is { } expression)
        {
            AddLine(lines, "Expression", $"{expression} = {Scalar(context.Find("expressionValue")) ?? "?"}");
            AddLine(lines, "Labels", JoinPairs(Properties(context.Find("labels"))));
            foreach (var (name, value) in Properties(context.Find("annotations")))
            {
                AddLine(lines, Capitalize(name), value);
            }
        }
        else if (Scalar(context.Find("DetectionSummary")) is { } detection)
        {
            AddLine(lines, "Detected", detection);
            AddLine(lines, "Value", Join(" (normal ", Scalar(context.Find("DetectedValue")), Scalar(context.Find("NormalValue")), ")"));
            AddLine(lines, "Detector", Scalar(context.Find("SmartDetectorName")));
        }
        else if (context.GetObject("AlertData") is { } budget)
        {
            alert.Rule ??= Scalar(budget.Find("BudgetName"));
            AddLine(lines, "Budget", Scalar(budget.Find("BudgetName")));
            AddLine(lines, "Spent", Join(" of ", Scalar(budget.Find("SpentAmount")), Scalar(budget.Find("BudgetThreshold"))));
            AddLine(lines, "Forecast", Scalar(budget.Find("ForecastedTotalForPeriod")));
            AddLine(lines, "Threshold", Join(" ", Scalar(budget.Find("NotificationThresholdAmount")), Scalar(budget.Find("ThresholdType")) is { } t ? $"({t})" : null));
        }

        foreach (var (name, value) in Properties(context.Find("properties")).Where(_ => context.Find("operationName") is null))
        {
            AddLine(lines, name, value);
        }
    }

    /// <summary>Metric alerts (static, dynamic, availability) and log search alerts V2: one line per criterion.</summary>
    private static void ReadCriteria(string? conditionType, JsonItem condition, JsonItem allOf, List<string> lines, List<string> links)
    {
        foreach (var criterion in allOf.Items.Where(i => i.Kind == JsonValueKind.Object).Take(10))
        {
            var subject = Scalar(criterion.Find("metricName")) ?? Scalar(criterion.Find("webTestName"));
            var aggregation = Scalar(criterion.Find("timeAggregation"));
            var value = Scalar(criterion.Find("metricValue"));
            var op = Operator(Scalar(criterion.Find("operator")));
            var threshold = Scalar(criterion.Find("threshold"));
            var text = new StringBuilder();
            text.Append(subject ?? (Scalar(criterion.Find("searchQuery")) is not null ? "Query result" : "Value"));
            if (aggregation is not null)
            {
                text.Append(CultureInfo.InvariantCulture, $" ({aggregation})");
            }

            text.Append(CultureInfo.InvariantCulture, $": {value ?? "no value"}");
            if (op is not null || threshold is not null)
            {
                text.Append(CultureInfo.InvariantCulture, $" {op ?? "vs"} {threshold ?? "?"}");
            }

            if (Scalar(criterion.Find("alertSensitivity")) is { } sensitivity)
            {
                text.Append(CultureInfo.InvariantCulture, $" (dynamic, {sensitivity} sensitivity)");
            }

            if (criterion.Find("webTestName") is not null && Scalar(criterion.Find("webTestName")) is { } test && subject != test)
            {
                text.Append(CultureInfo.InvariantCulture, $", test {test}");
            }

            AddLine(lines, "Condition", text.ToString());
            // A ResourceId dimension repeats the resource line as a GUID.
            AddLine(lines, "Dimensions", JoinPairs(Dimensions(criterion.Find("dimensions")).Where(d => d.Key != "ResourceId")));
            AddLine(lines, "Query", Scalar(criterion.Find("searchQuery")));
            AddLink(links, "Results", Scalar(criterion.Find("linkToFilteredSearchResultsUI")) ?? Scalar(criterion.Find("linkToSearchResultsUI")));
        }

        var window = Scalar(condition.Find("windowSize"));
        var start = Time(condition, "windowStartTime");
        var end = Time(condition, "windowEndTime");
        AddLine(lines, "Window", start is not null && end is not null
            ? $"{FormatTime(start)} – {FormatTime(end)}{(window is null ? "" : $" ({window})")}"
            : window);
        _ = conditionType;
    }

    private static void ReadLogSearchV1(JsonItem context, string query, List<string> lines, List<string> links)
    {
        var count = Scalar(context.Find("ResultCount"));
        var op = Operator(Scalar(context.Find("Operator")));
        var threshold = Scalar(context.Find("Threshold"));
        var type = Scalar(context.Find("AlertType"));
        AddLine(lines, "Condition", $"{type ?? "Results"}: {count ?? "?"}{(op is null && threshold is null ? "" : $" {op ?? "vs"} {threshold ?? "?"}")}");
        AddLine(lines, "Dimensions", JoinPairs(Dimensions(context.Find("Dimensions"))));
        AddLine(lines, "Query", query);
        AddLine(lines, "Window", Join(" – ", Scalar(context.Find("SearchIntervalStartTimeUtc")), Scalar(context.Find("SearchIntervalEndtimeUtc"))));
        AddLink(links, "Results", Scalar(context.Find("LinkToFilteredSearchResultsUI")) ?? Scalar(context.Find("LinkToSearchResults")));
    }

    private static void ReadActivityLog(Essentials alert, JsonItem context, string operation, List<string> lines)
    {
        var properties = context.Find("properties") is { Kind: JsonValueKind.Object } p ? p : null;
        var source = Scalar(context.Find("eventSource"));
        var status = Scalar(context.Find("status"));
        var isServiceHealth = operation.StartsWith("Microsoft.ServiceHealth/", StringComparison.OrdinalIgnoreCase) ||
            string.Equals(alert.Service, "ServiceHealth", StringComparison.OrdinalIgnoreCase);
        var isResourceHealth = operation.StartsWith("Microsoft.Resourcehealth/", StringComparison.OrdinalIgnoreCase) ||
            string.Equals(source, "ResourceHealth", StringComparison.OrdinalIgnoreCase);
        if ((isServiceHealth || isResourceHealth) && string.Equals(status, "Resolved", StringComparison.OrdinalIgnoreCase))
        {
            alert.EventResolved = true;
        }

        if (isServiceHealth && properties is not null)
        {
            alert.Event = Scalar(properties.Find("title")) ?? Scalar(properties.Find("defaultLanguageTitle"));
            AddLine(lines, "Service", Join(" in ", Scalar(properties.Find("service")), Scalar(properties.Find("region"))));
            AddLine(lines, "Type", Join(", ", Scalar(properties.Find("incidentType")), Scalar(properties.Find("stage")) is { } stage ? $"stage {stage}" : null));
            AddLine(lines, "Status", status);
            AddLine(lines, "Tracking ID", Scalar(properties.Find("trackingId")));
            AddLine(lines, "Impact", Join(" – ", Scalar(properties.Find("impactStartTime")), Scalar(properties.Find("impactMitigationTime"))));
            AddLine(lines, "Details", HtmlToText(Scalar(properties.Find("communication")) ?? Scalar(properties.Find("defaultLanguageContent"))));
            return;
        }

        if (isResourceHealth && properties is not null)
        {
            AddLine(lines, "Event", Scalar(properties.Find("title")));
            alert.Event = Join(" ", alert.Resource(), Scalar(properties.Find("currentHealthStatus")));
            AddLine(lines, "Health", Join(" → ", Scalar(properties.Find("previousHealthStatus")), Scalar(properties.Find("currentHealthStatus"))));
            AddLine(lines, "Type", Join(", cause ", Scalar(properties.Find("type")), Scalar(properties.Find("cause"))));
            AddLine(lines, "Details", Scalar(properties.Find("details")));
            AddLine(lines, "Status", status);
            return;
        }

        AddLine(lines, "Operation", Join(": ", operation, status));
        AddLine(lines, "Caller", Scalar(context.Find("caller")));
        AddLine(lines, "Level", Join(", ", Scalar(context.Find("level")), source is null ? null : $"source {source}"));
        AddLine(lines, "Event time", FormatTime(Time(context, "eventTimestamp")));
        if (properties is not null)
        {
            var details = Scalar(properties.Find("description")) ?? Scalar(properties.Find("message"));
            AddLine(lines, "Details", string.Equals(details, operation, StringComparison.OrdinalIgnoreCase) ? null : details);
            foreach (var name in new[] { "threatStatus", "category", "compromisedEntity", "actionTaken", "oldInstancesCount", "newInstancesCount", "policyDefinitionEffect" })
            {
                AddLine(lines, name, Scalar(properties.Find(name)));
            }
        }
    }

    // ---- helpers ----

    /// <summary>A scalar as text whatever its JSON kind (services disagree on strings vs numbers); objects and arrays give null.</summary>
    private static string? Scalar(JsonItem? item) => item?.Kind switch
    {
        JsonValueKind.String => string.IsNullOrWhiteSpace(item.Text) ? null : item.Text.Trim(),
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => item.Text,
        _ => null,
    };

    private static List<string> Strings(JsonItem? item) => item is { Kind: JsonValueKind.Array }
        ? item.Items.Select(Scalar).OfType<string>().ToList()
        : [];

    private static IEnumerable<KeyValuePair<string, string>> Properties(JsonItem? item)
    {
        if (item is not { Kind: JsonValueKind.Object })
        {
            yield break;
        }

        foreach (var (name, value) in item.Properties.Take(20))
        {
            if (Scalar(value) is { } text)
            {
                yield return new(name, text);
            }
        }
    }

    private static IEnumerable<KeyValuePair<string, string>> Dimensions(JsonItem? item)
    {
        if (item is not { Kind: JsonValueKind.Array })
        {
            yield break;
        }

        foreach (var dimension in item.Items.Where(d => d.Kind == JsonValueKind.Object).Take(10))
        {
            if (Scalar(dimension.Find("name")) is { } name && Scalar(dimension.Find("value")) is { } value)
            {
                yield return new(name, value);
            }
        }
    }

    private static DateTimeOffset? Time(JsonItem item, string name) =>
        Scalar(item.Find(name)) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) && time.Year > 1
            ? time
            : null;

    private static string? FormatTime(DateTimeOffset? time) =>
        time?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static string? Operator(string? op) => op?.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant() switch
    {
        null => null,
        "greaterthan" => ">",
        "greaterthanorequal" => "≥",
        "lessthan" or "lowerthan" => "<",
        "lessthanorequal" or "lowerthanorequal" => "≤",
        "equal" or "equals" => "=",
        "notequal" => "≠",
        "greaterorlessthan" => "outside",
        _ => op,
    };

    private static string? JoinPairs(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var list = pairs.Select(p => $"{p.Key}={p.Value}").ToList();
        return list.Count == 0 ? null : string.Join(", ", list);
    }

    private static string? Join(string separator, string? first, string? second, string suffix = "") => (first, second) switch
    {
        (not null, not null) => $"{first}{separator}{second}{suffix}",
        (not null, null) => first,
        (null, not null) => second,
        _ => null,
    };

    private static string Capitalize(string name) => name.Length == 0 ? name : char.ToUpperInvariant(name[0]) + name[1..];

    private static string Collapse(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    /// <summary>Service-health communications are HTML; a chat line wants their text, paragraph by paragraph.</summary>
    private static string? HtmlToText(string? html)
    {
        if (html is null)
        {
            return null;
        }

        var text = BlockEnd().Replace(html, "\n");
        text = Tag().Replace(text, "");
        text = WebUtility.HtmlDecode(text);
        var lines = text.Split('\n').Select(l => Collapse(l.Replace('\u00A0', ' '))).Where(l => l.Length > 0);
        return string.Join('\n', lines);
    }

    private static void AddLine(List<string> lines, string label, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            lines.Add($"- {MarkdownText.Escape(label)}: {MarkdownText.EscapeMultiline(JsonItem.Abbreviate(value.Trim(), 2000), "  ")}");
        }
    }

    private static void AddLink(List<string> links, string text, string? url)
    {
        if (MarkdownText.SafeUrl(url) is { } safe)
        {
            links.Add($"[{text}](<{safe}>)");
        }
    }

    [GeneratedRegex(@"</p>|<br\s*/?>|</li>|</tr>|</h[1-6]>", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 1000)]
    private static partial Regex BlockEnd();

    [GeneratedRegex(@"<[^>]{0,2000}>", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Tag();
}
