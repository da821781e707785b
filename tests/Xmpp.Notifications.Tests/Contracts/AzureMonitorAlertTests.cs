using System.Text;
using Xmpp.Notifications.Contracts;
using Xmpp.Notifications.Contracts.Requests;
using Xmpp.Notifications.Formatting;

namespace Xmpp.Notifications.Tests.Contracts;

/// <summary>
/// Payloads in the shapes of the samples Microsoft documents for each signal type of the common alert schema
/// (alerts-payload-samples), with values of our own.
/// </summary>
public class AzureMonitorAlertTests
{
    private static XmppMessage Sample(string name) =>
        Assert.Single(AzureMonitorAlert.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "AzureMonitor", name + ".json"))));

    private static string[] Lines(XmppMessage message) => message.Body!.Split('\n');

    [Fact]
    public void StaticMetricAlertFired()
    {
        var message = Sample("metric-static-fired");

        Assert.Equal("[FIRED Sev2] vm-cpu-high (web-01)", message.Title);
        Assert.Equal("markdown", message.Format);
        Assert.Null(message.To);
        var lines = Lines(message);
        Assert.Equal("**Fired** · Sev2 Warning · Metric · Platform", lines[0]);
        Assert.Contains("- Resource: web-01 (virtualmachines in rg-web)", lines);
        Assert.Contains("- Description: CPU above 80 % for 5 minutes", lines);
        Assert.Contains("- Condition: Percentage CPU (Average): 93.2518 \\> 80", lines);
        Assert.Contains("- Window: 2026-11-30 10:00:03 UTC – 2026-11-30 10:05:03 UTC (PT5M)", lines);
        Assert.Contains("- Fired: 2026-11-30 10:05:24 UTC", lines);
        Assert.Single(lines, l => l == "- team: web");
        Assert.DoesNotContain(lines, l => l.StartsWith("- Dimensions", StringComparison.Ordinal));
        Assert.StartsWith("- [Alert](<https://portal.azure.com/#blade/Microsoft_Azure_Monitoring_Alerts/AlertDetailsTemplateBlade/alertId/%2Fsubscriptions%2F00000000-1111-2222-3333-444444444444%2Fproviders%2FMicrosoft.AlertsManagement%2Falerts%2Faaaa1111", lines[^1], StringComparison.Ordinal);
        Assert.EndsWith("[Resource](<https://portal.azure.com/#resource/subscriptions/00000000-1111-2222-3333-444444444444/resourcegroups/rg-web/providers/microsoft.compute/virtualmachines/web-01>)", lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void StaticMetricAlertResolved()
    {
        var message = Sample("metric-static-resolved");

        Assert.Equal("[RESOLVED Sev2] vm-cpu-high (web-01)", message.Title);
        var lines = Lines(message);
        Assert.Equal("**Resolved** · Sev2 Warning · Metric · Platform", lines[0]);
        Assert.Contains("- Condition: Percentage CPU (Average): 12.5 \\> 80", lines);
        Assert.Contains("- Resolved: 2026-11-30 10:20:16 UTC", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("- Description", StringComparison.Ordinal));
    }

    [Fact]
    public void DynamicThresholdKeepsTheValueAsSent()
    {
        var lines = Lines(Sample("metric-dynamic-fired"));

        Assert.Contains("- Condition: Egress (Total): 2.473545728e+09 \\> 47658 (dynamic, High sensitivity)", lines);
        Assert.Contains("- Dimensions: ApiName=GetBlob", lines);
    }

    [Fact]
    public void AvailabilityTestNamesTheTestAndBothResources()
    {
        var message = Sample("availability-fired");

        Assert.Equal("[FIRED Sev1] shop-availability (shop-home +1)", message.Title);
        Assert.Contains("- Resource: shop-home (webtests in rg-shop); shop-insights (components in rg-shop)", Lines(message));
        Assert.Contains("- Condition: Failed Location (Sum): 5 \\> 2, test shop-home-shop-insights", Lines(message));
    }

    [Fact]
    public void LogSearchV2ShowsQueryDimensionsAndResultsLink()
    {
        var message = Sample("log-v2-fired");

        Assert.Equal("[FIRED Sev1] heartbeat-missing (db-02)", message.Title);
        var lines = Lines(message);
        Assert.Contains("- Condition: Query result (Count): 0.0 \\< 1", lines);
        Assert.Contains("- Dimensions: Computer=db-02", lines);
        Assert.Contains("- Query: Heartbeat \\| summarize count() by Computer", lines);
        Assert.StartsWith("- [Results](<https://portal.azure.com/#@00000000-aaaa-bbbb-cccc-dddddddddddd/blade/Microsoft_Azure_Monitoring_Logs/LogsBlade/source/Alerts.EmailLinks/scope/x/q/filtered/", lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void LogSearchV1ShowsCountThresholdAndQuery()
    {
        var lines = Lines(Sample("log-v1-fired"));

        Assert.Equal("**Fired** · Sev3 Informational · Log · Application Insights", lines[0]);
        Assert.Contains("- Condition: Number of results: 42 \\> 10", lines);
        Assert.Contains(lines, l => l.StartsWith("- Query: requests \\| where resultCode == \"500\"", StringComparison.Ordinal));
        Assert.Contains("[Results](<https://portal.azure.com/AnalyticsBlade/subscriptions/00000000-1111-2222-3333-444444444444/?query=requests%7Cfiltered>)", lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void ActivityLogSaysWhoDidWhat()
    {
        var message = Sample("activity-log-administrative-fired");

        Assert.Equal("[FIRED Sev4] vm-restarted (web-01)", message.Title);
        var lines = Lines(message);
        Assert.Equal("**Fired** · Sev4 Verbose · Activity Log - Administrative", lines[0]);
        Assert.Contains("- Operation: Microsoft.Compute/virtualMachines/restart/action: Succeeded", lines);
        Assert.Contains("- Caller: oncall@example.org", lines);
        Assert.Contains("- Event time: 2026-11-30 08:27:36 UTC", lines);
        Assert.Equal(1, lines.Count(l => l.Contains("restart/action", StringComparison.Ordinal)));
    }

    [Fact]
    public void ServiceHealthIncidentAsText()
    {
        var message = Sample("service-health-fired");

        Assert.Equal("[FIRED Sev4] service-issues: Degraded connectivity to Azure Storage in West Europe", message.Title);
        var lines = Lines(message);
        Assert.Contains("- Resource: subscription 00000000-1111-2222-3333-444444444444", lines);
        Assert.Contains("- Service: Storage in West Europe", lines);
        Assert.Contains("- Type: Incident, stage Active", lines);
        Assert.Contains("- Tracking ID: XY12-3Z0", lines);
        Assert.Contains("- Details: Summary of impact: Some requests to storage accounts time out.\\", lines);
        Assert.Contains("  Next steps: We are rolling back a recent change \\& will update in 60 minutes.", lines);
        Assert.DoesNotContain("<p>", message.Body, StringComparison.Ordinal);
    }

    [Fact]
    public void ServiceHealthResolvedByItsStatus()
    {
        var message = Sample("service-health-resolved");

        // monitorCondition stays "Fired" for health events; the event's status says it is over.
        Assert.Equal("[RESOLVED Sev4] service-issues: Degraded connectivity to Azure Storage in West Europe", message.Title);
        Assert.StartsWith("**Resolved**", message.Body, StringComparison.Ordinal);
        Assert.Contains("- Impact: 2026-11-30T04:50:00Z – 2026-11-30T06:55:00Z", Lines(message));
    }

    [Theory]
    [InlineData("resource-health-fired", "[FIRED Sev4] vm-health: web-02 Unavailable", "- Health: Available → Unavailable")]
    [InlineData("resource-health-resolved", "[RESOLVED Sev4] vm-health: web-02 Available", "- Health: Unavailable → Available")]
    public void ResourceHealthTransitions(string sample, string title, string health)
    {
        var message = Sample(sample);

        Assert.Equal(title, message.Title);
        Assert.Contains(health, Lines(message));
    }

    [Fact]
    public void EverySampleRendersToValidXhtmlIm()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "AzureMonitor"), "*.json"))
        {
            var message = Assert.Single(AzureMonitorAlert.Parse(File.ReadAllBytes(file)));
            var rendered = XhtmlIm.FromMarkdown(message.Body!);

            System.Xml.Linq.XElement.Parse($"<body>{rendered.XhtmlBody}</body>");
            Assert.DoesNotContain("\\", rendered.PlainText, StringComparison.Ordinal);
            Assert.Matches(@"Alert(: | \()https://portal\.azure\.com/", rendered.PlainText);
        }
    }

    [Fact]
    public void ArrayGivesOneMessagePerAlert()
    {
        var one = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "AzureMonitor", "metric-static-fired.json"));
        var two = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "AzureMonitor", "metric-static-resolved.json"));

        var messages = AzureMonitorAlert.Parse(Encoding.UTF8.GetBytes($"[{one},{two}]"));

        Assert.Equal(["[FIRED Sev2] vm-cpu-high (web-01)", "[RESOLVED Sev2] vm-cpu-high (web-01)"], messages.Select(m => m.Title));
    }

    [Fact]
    public void UnknownContextStillGivesTheEssentials()
    {
        var message = Assert.Single(AzureMonitorAlert.Parse("""
            {"schemaId":"azureMonitorCommonAlertSchema","data":{"essentials":{"alertRule":"r","severity":"Sev0","monitorCondition":"Fired",
             "alertTargetIDs":["/subscriptions/s/resourceGroups/g/providers/Microsoft.Web/sites/app"]},"alertContext":{"something":"new"}}}
            """u8.ToArray()));

        Assert.Equal("[FIRED Sev0] r (app)", message.Title);
        Assert.Equal("**Fired** · Sev0 Critical", Lines(message)[0]);
    }

    [Theory]
    [InlineData("""{"schemaId":"Microsoft.Insights/activityLogs","data":{}}""", "has schemaId \"Microsoft.Insights/activityLogs\"; this endpoint reads the common alert schema (\"azureMonitorCommonAlertSchema\"). Turn on \"Enable the common alert schema\"")]
    [InlineData("""{"WorkspaceId":"x","AlertRuleName":"r"}""", "the payload has no schemaId; this endpoint reads the common alert schema")]
    [InlineData("""{"schemaId":"azureMonitorCommonAlertSchema"}""", "data is missing")]
    [InlineData("""{"schemaId":"azureMonitorCommonAlertSchema","data":{"alertContext":{}}}""", "data.essentials is missing")]
    [InlineData("""{"schemaId":"azureMonitorCommonAlertSchema","data":[]}""", "data must be an object")]
    [InlineData("""[]""", "The payload array has 0 groups")]
    [InlineData("""42""", "must be an Azure Monitor alert object")]
    public void WrongPayloadsAreNamed(string json, string expected)
    {
        var ex = Assert.Throws<NotificationFormatException>(() => AzureMonitorAlert.Parse(Encoding.UTF8.GetBytes(json)));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MarkupInFieldsStaysText()
    {
        var message = Assert.Single(AzureMonitorAlert.Parse("""
            {"schemaId":"azureMonitorCommonAlertSchema","data":{"essentials":{"alertRule":"**r**","monitorCondition":"Fired",
             "description":"[click](javascript:alert(1)) <script>x</script>"}}}
            """u8.ToArray()));

        var rendered = XhtmlIm.FromMarkdown(message.Body!);
        Assert.DoesNotContain("<script", rendered.XhtmlBody, StringComparison.Ordinal);
        Assert.DoesNotContain("href=\"javascript", rendered.XhtmlBody, StringComparison.Ordinal);
        Assert.Contains("[click](javascript:alert(1)) <script>x</script>", rendered.PlainText, StringComparison.Ordinal);
    }
}
