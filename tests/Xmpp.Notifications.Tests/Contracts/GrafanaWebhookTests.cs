using System.Text;
using Xmpp.Notifications.Contracts.Requests;
using Xmpp.Notifications.Contracts;

namespace Xmpp.Notifications.Tests.Contracts;

public class GrafanaWebhookTests
{
    private const string Firing = """
        {
          "receiver": "My Super Webhook",
          "status": "firing",
          "orgId": 1,
          "alerts": [
            {
              "status": "firing",
              "labels": { "alertname": "High memory usage", "team": "blue", "zone": "us-1", "__alert_rule_uid__": "x1" },
              "annotations": { "description": "The system has high memory usage", "runbook_url": "https://runbooks.example.org/mem", "summary": "Triggered for zone us-1", "__dashboardUid__": "abc" },
              "startsAt": "2021-10-12T09:51:03.157076+02:00",
              "endsAt": "0001-01-01T00:00:00Z",
              "generatorURL": "https://grafana.example.org/alerting/1afz29v7z/edit",
              "fingerprint": "c6eadffa33fcdf37",
              "silenceURL": "https://grafana.example.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT2%2Cteam%3Dblue%2Czone%3Dus-1",
              "dashboardURL": "https://grafana.example.org/d/abc",
              "panelURL": "https://grafana.example.org/d/abc?viewPanel=3",
              "values": { "B": 44.23943737541908, "C": 1 }
            },
            {
              "status": "firing",
              "labels": { "alertname": "High CPU usage", "team": "blue", "zone": "eu-1" },
              "annotations": { "summary": "Triggered for zone eu-1" },
              "startsAt": "2021-10-12T09:56:03.157076+02:00",
              "endsAt": "0001-01-01T00:00:00Z",
              "generatorURL": "https://grafana.example.org/alerting/d1rdpdv7k/edit",
              "fingerprint": "bc97ff14869b13e3",
              "silenceURL": "https://grafana.example.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT1",
              "dashboardURL": "",
              "panelURL": "",
              "values": { "B": 1e400, "C": null }
            }
          ],
          "groupLabels": { "team": "blue" },
          "commonLabels": { "team": "blue" },
          "commonAnnotations": {},
          "externalURL": "https://grafana.example.org/",
          "version": "1",
          "groupKey": "{}/{team=\"blue\"}:{}",
          "truncatedAlerts": 0,
          "title": "[FIRING:2]  (blue)",
          "state": "alerting",
          "message": "**Firing**\n\nValue: B=44.23943737541908, C=1\n..."
        }
        """;

    private const string Resolved = """
        {
          "receiver": "xmpp", "status": "resolved", "orgId": 1, "version": "1", "truncatedAlerts": 0,
          "alerts": [
            { "status": "resolved", "labels": { "alertname": "High memory usage", "team": "blue", "severity": "warning" },
              "annotations": { "summary": "Memory back to normal" },
              "startsAt": "2021-10-12T09:51:03Z", "endsAt": "2021-10-12T10:01:03Z",
              "generatorURL": "https://grafana.example.org/alerting/1afz29v7z/edit", "fingerprint": "c6", "silenceURL": "", "dashboardURL": "", "panelURL": "",
              "values": { "B": 12.5 } }
          ],
          "groupLabels": { "alertname": "High memory usage", "team": "blue" },
          "commonLabels": { "alertname": "High memory usage", "team": "blue", "severity": "warning" },
          "externalURL": "https://grafana.example.org/", "state": "ok"
        }
        """;

    private static XmppMessage ParseOne(string json) => Assert.Single(GrafanaWebhook.Parse(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void FiringUsesGrafanasTitleAndListsValuesAndLinks()
    {
        var message = ParseOne(Firing);

        // Grafana's default title when grouped by team names no alert: the names go in after the badge.
        Assert.Equal("[FIRING:2] High memory usage, High CPU usage (blue)", message.Title);
        Assert.Equal("markdown", message.Format);
        var lines = message.Body!.Split('\n');
        Assert.Equal("**FIRING** High memory usage · zone=us-1", lines[0]);
        Assert.Contains("- Summary: Triggered for zone us-1", lines);
        Assert.Contains("- Description: The system has high memory usage", lines);
        Assert.DoesNotContain("- Labels: team=blue", lines);
        Assert.Contains("- Values: B=44.23943737541908, C=1", lines);
        Assert.Contains("- Values: B=1e400, C=null", lines);
        Assert.Contains("- Started: 2021-10-12 07:51:03 UTC", lines);
        Assert.Contains(
            "- [Source](<https://grafana.example.org/alerting/1afz29v7z/edit>) · [Runbook](<https://runbooks.example.org/mem>) · [Panel](<https://grafana.example.org/d/abc?viewPanel=3>) · [Silence](<https://grafana.example.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT2%2Cteam%3Dblue%2Czone%3Dus-1>)",
            lines);
        Assert.Contains("**FIRING** High CPU usage · zone=eu-1", lines);
        Assert.Equal("[Open Grafana](<https://grafana.example.org/>)", lines[^1]);
        Assert.DoesNotContain("__", message.Body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2.473545728e+09")]
    [InlineData("0.1")]
    [InlineData("-17")]
    [InlineData("12345678901234567890")]
    public void ValuesAreShownAsSent(string value)
    {
        var message = ParseOne($$$"""{"alerts":[{"status":"firing","labels":{"alertname":"A"},"values":{"B":{{{value}}}}}]}""");

        Assert.Contains($"- Values: B={value}", message.Body!.Split('\n'));
    }

    [Fact]
    public void TitleThatNamesAnAlertIsKept()
    {
        var message = ParseOne("""{"title":"[FIRING:1] DiskFull (db)","alerts":[{"status":"firing","labels":{"alertname":"DiskFull"}}]}""");

        Assert.Equal("[FIRING:1] DiskFull (db)", message.Title);
    }

    [Fact]
    public void ResolvedWithoutTitleGetsAlertmanagerStyleTitle()
    {
        var message = ParseOne(Resolved);

        Assert.Equal("[RESOLVED] High memory usage (team=blue, severity=warning)", message.Title);
        var lines = message.Body!.Split('\n');
        Assert.Equal("**RESOLVED** High memory usage", lines[0]);
        Assert.Contains("- Ended: 2021-10-12 10:01:03 UTC", lines);
        Assert.Contains("- Values: B=12.5", lines);
    }

    [Fact]
    public void AlertmanagerPayloadIsPointedAtItsEndpoint()
    {
        var ex = Assert.Throws<NotificationFormatException>(() => GrafanaWebhook.Parse("""{"version":"4","alerts":[{"status":"firing"}]}"""u8.ToArray()));

        Assert.StartsWith("version is \"4\", which is not a Grafana webhook version; expected \"1\" (Alertmanager sends \"4\": use the Alertmanager endpoint).", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NonNumericValueIsRejected()
    {
        var ex = Assert.Throws<NotificationFormatException>(() => GrafanaWebhook.Parse("""{"alerts":[{"status":"firing","values":{"B":"high"}}]}"""u8.ToArray()));

        Assert.StartsWith("alerts[0].values.B must be a number, but it is a string.", ex.Message, StringComparison.Ordinal);
    }
}
