using System.Text;
using Xmpp.Notifications.Contracts.Requests;
using Xmpp.Notifications.Contracts;

namespace Xmpp.Notifications.Tests.Contracts;

public class AlertmanagerWebhookTests
{
    private const string Firing = """
        {
          "receiver": "xmpp-ops",
          "status": "firing",
          "alerts": [
            {
              "status": "firing",
              "labels": { "alertname": "HighLatency", "instance": "api-1:8080", "job": "api", "severity": "critical" },
              "annotations": {
                "summary": "p99 latency above 500ms",
                "description": "api-1 p99 is 1.2s\n* check the *database*",
                "runbook_url": "https://runbooks.example.org/latency"
              },
              "startsAt": "2024-05-01T12:00:00.123456789Z",
              "endsAt": "0001-01-01T00:00:00Z",
              "generatorURL": "http://prometheus.example.org:9090/graph?g0.expr=latency+%3E+0.5\u0026g0.tab=1",
              "fingerprint": "a1b2c3d4e5f60718"
            },
            {
              "status": "firing",
              "labels": { "alertname": "HighLatency", "instance": "api-2:8080", "job": "api", "severity": "critical" },
              "annotations": { "summary": "p99 latency above 500ms" },
              "startsAt": "2024-05-01T14:05:00+02:00",
              "endsAt": "0001-01-01T00:00:00Z",
              "generatorURL": "javascript:alert(1)",
              "fingerprint": "b1b2c3d4e5f60718"
            }
          ],
          "groupLabels": { "alertname": "HighLatency", "job": "api" },
          "commonLabels": { "alertname": "HighLatency", "job": "api", "severity": "critical" },
          "commonAnnotations": { "summary": "p99 latency above 500ms" },
          "externalURL": "http://alertmanager.example.org:9093",
          "version": "4",
          "groupKey": "{}:{alertname=\"HighLatency\", job=\"api\"}",
          "truncatedAlerts": 0
        }
        """;

    private const string Resolved = """
        {
          "receiver": "xmpp-ops", "status": "resolved", "version": "4", "truncatedAlerts": 3,
          "groupKey": "{}/{severity=\"warning\"}:{alertname=\"DiskFull\"}",
          "alerts": [
            { "status": "resolved", "labels": { "alertname": "DiskFull", "instance": "db-1", "severity": "warning", "mountpoint": "/var" },
              "annotations": { "summary": "Disk /var above 90%" },
              "startsAt": "2024-05-01T10:00:00Z", "endsAt": "2024-05-01T10:30:00Z",
              "generatorURL": "http://prometheus:9090/graph", "fingerprint": "1" },
            { "status": "resolved", "labels": { "alertname": "DiskFull", "instance": "db-2", "severity": "warning" },
              "annotations": {}, "startsAt": "2024-05-01T10:01:00Z", "endsAt": "2024-05-01T10:31:00Z",
              "generatorURL": "", "fingerprint": "2" }
          ],
          "groupLabels": { "alertname": "DiskFull" },
          "commonLabels": { "alertname": "DiskFull", "severity": "warning" },
          "commonAnnotations": {},
          "externalURL": "http://alertmanager:9093"
        }
        """;

    private static XmppMessage ParseOne(string json) => Assert.Single(AlertmanagerWebhook.Parse(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void FiringGroupTitleAndBody()
    {
        var message = ParseOne(Firing);

        Assert.Equal("[FIRING:2] HighLatency (job=api, severity=critical)", message.Title);
        Assert.Equal("markdown", message.Format);
        Assert.Null(message.To);
        var lines = message.Body!.Split('\n');
        // The title names the alert; each block leads with what tells it apart, and the shared summary comes once, first.
        Assert.Equal("p99 latency above 500ms", lines[0]);
        Assert.Equal(1, lines.Count(l => l.Contains("p99 latency above 500ms", StringComparison.Ordinal)));
        Assert.DoesNotContain(lines, l => l.StartsWith("**FIRING** HighLatency", StringComparison.Ordinal));
        Assert.Contains("**FIRING** instance=api-1:8080", lines);
        Assert.Contains("**FIRING** instance=api-2:8080", lines);
        Assert.Contains("- Description: api-1 p99 is 1.2s\\", lines);
        Assert.Contains("  \\* check the \\*database\\*", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("- Labels:", StringComparison.Ordinal));
        Assert.Contains("- Started: 2024-05-01 12:00:00 UTC", lines);
        Assert.Contains("- Started: 2024-05-01 12:05:00 UTC", lines);
        Assert.Contains("- [Source](<http://prometheus.example.org:9090/graph?g0.expr=latency+%3E+0.5&g0.tab=1>) · [Runbook](<https://runbooks.example.org/latency>)", lines);
        Assert.DoesNotContain("javascript", message.Body, StringComparison.Ordinal);
        Assert.Equal(
            "[Silence](<http://alertmanager.example.org:9093/#/silences/new?filter=%7Balertname%3D%22HighLatency%22%2C%20job%3D%22api%22%7D>) · [Open Alertmanager](<http://alertmanager.example.org:9093/>)",
            lines[^1]);
    }

    [Fact]
    public void ResolvedGroupSaysResolved()
    {
        var message = ParseOne(Resolved);

        Assert.Equal("[RESOLVED] DiskFull (severity=warning)", message.Title);
        var lines = message.Body!.Split('\n');
        Assert.Equal(["**RESOLVED** instance=db-1 · mountpoint=/var", "- Summary: Disk /var above 90%", "- Started: 2024-05-01 10:00:00 UTC", "- Ended: 2024-05-01 10:30:00 UTC", "- [Source](<http://prometheus:9090/graph>)", ""], lines[..6]);
        Assert.Contains("**RESOLVED** instance=db-2", lines);
        Assert.Contains("_3 more alerts not shown._", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("**FIRING**", StringComparison.Ordinal));
    }

    [Fact]
    public void EmptyGroupLabelIsTreatedAsAbsent()
    {
        var message = ParseOne("""
            {"version":"4","status":"firing","receiver":"ops",
             "alerts":[{"status":"firing","labels":{"alertname":"","instance":"db-1"}},{"status":"firing","labels":{"alertname":"DiskFull","instance":"db-2"}}],
             "groupLabels":{"alertname":""},"commonLabels":{"alertname":""}}
            """);

        Assert.Equal("[FIRING:2] DiskFull", message.Title);
        Assert.DoesNotContain("alertname=", message.Body, StringComparison.Ordinal);
    }

    [Fact]
    public void GroupWithOnlyEmptyNamesFallsBackToTheReceiver()
    {
        var message = ParseOne("""{"version":"4","status":"firing","receiver":"ops","alerts":[{"status":"firing","labels":{"alertname":" "}}],"groupLabels":{"alertname":""}}""");

        Assert.Equal("[FIRING:1] ops", message.Title);
        Assert.StartsWith("**FIRING** ops", message.Body, StringComparison.Ordinal);
    }

    [Fact]
    public void SingleAlertKeepsItsNameAndKeyLabels()
    {
        var message = ParseOne("""{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"Down","instance":"a:1","job":"x","severity":"page"}}],"groupLabels":{"alertname":"Down"},"commonLabels":{"alertname":"Down","instance":"a:1","job":"x","severity":"page"}}""");

        Assert.Equal("[FIRING:1] Down (severity=page)", message.Title);
        Assert.Equal(["**FIRING** Down", "- Labels: instance=a:1, job=x"], message.Body!.Split('\n'));
    }

    [Fact]
    public void ArrayOfGroupsGivesOneMessageEach()
    {
        var messages = AlertmanagerWebhook.Parse(Encoding.UTF8.GetBytes($"[{Firing},{Resolved}]"));

        Assert.Equal(["[FIRING:2] HighLatency (job=api, severity=critical)", "[RESOLVED] DiskFull (severity=warning)"], messages.Select(m => m.Title));
    }

    [Theory]
    [InlineData("""{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{}},{"status":"firing","labels":{}},{"status":"firing","labels":[]}]}""",
        "alerts[2].labels must be an object, but it is an array. (line 1, position 136)")]
    [InlineData("""{"version":"4","alerts":[{"status":"firing","labels":{"severity":3}}]}""",
        "alerts[0].labels.severity must be a string, but it is a number.")]
    [InlineData("""{"version":"4","alerts":[{"labels":{}}]}""", "alerts[0].status is missing; expected \"firing\" or \"resolved\".")]
    [InlineData("""{"version":"4","alerts":[{"status":"burning"}]}""", "alerts[0].status is \"burning\"; expected \"firing\" or \"resolved\".")]
    [InlineData("""{"version":"4","alerts":[{"status":"firing","startsAt":"yesterday"}]}""", "alerts[0].startsAt is \"yesterday\", which is not an RFC 3339 time")]
    [InlineData("""{"version":"1","alerts":[]}""", "version is \"1\", which is not an Alertmanager webhook version; expected \"4\" (Grafana sends \"1\": use the Grafana endpoint).")]
    [InlineData("""{"version":"4","alerts":[]}""", "alerts is empty; there is nothing to notify about.")]
    [InlineData("""{"version":"4"}""", "alerts is missing")]
    [InlineData("""{"version":"4","truncatedAlerts":1e400,"alerts":[{"status":"firing"}]}""", "truncatedAlerts must be an integer between")]
    public void RejectionsSayWhatIsWrong(string json, string expected)
    {
        var ex = Assert.Throws<NotificationFormatException>(() => AlertmanagerWebhook.Parse(Encoding.UTF8.GetBytes(json)));

        Assert.StartsWith(expected, ex.Message, StringComparison.Ordinal);
    }
}
