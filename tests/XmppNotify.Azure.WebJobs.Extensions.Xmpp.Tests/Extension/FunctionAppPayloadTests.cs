using System.Text.Json;
using System.Text;
using Microsoft.Azure.WebJobs;
using Microsoft.Extensions.DependencyInjection;
using Xmpp.Client;
using Xmpp.Notifications.Contracts.Requests;
using Xmpp.Notifications.Contracts;
using Xmpp.Notifications.Tests.Notifier;
using Xmpp.Notifications;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp.Tests.Extension;

/// <summary>
/// The function app's path end to end, minus the isolated worker itself: an HTTP/queue payload is parsed by the same
/// library code the functions call, the messages are serialized as the worker serializes outputs (System.Text.Json
/// defaults), the host hands them to the binding as bytes, and a real Prosody delivers them to separate sessions.
/// </summary>
public sealed class FunctionAppPayloadTests(NotifierFixture fixture) : IClassFixture<NotifierFixture>
{
    private async Task DeliverThroughHostAsync(IReadOnlyList<XmppMessage> messages, string? recipients = null, IReadOnlyDictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?> { ["XmppConnection"] = fixture.Url("alice", "bob") };
        if (recipients is not null)
        {
            // As host.json extensions.xmpp.recipients reaches the extension.
            settings["AzureWebJobs:extensions:xmpp:recipients"] = recipients;
        }

        foreach (var (name, value) in more ?? new Dictionary<string, string?>())
        {
            settings[name] = value;
        }

        await using var host = await JobHostRunner.StartAsync(
            typeof(Functions),
            settings,
            notifier: null,
            services: s => s.AddSingleton(new XmppNotifierOptions { ConfigureClient = o => o.TrustedRoots = [fixture.Server.CaCertificate] }));
        var workerOutput = JsonSerializer.SerializeToUtf8Bytes(messages);
        await host.CallAsync(typeof(Functions), nameof(Functions.WorkerReturn), new { payload = Convert.ToBase64String(workerOutput) });
        Assert.DoesNotContain(fixture.Password("alice"), host.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generic_json_notification_reaches_its_to()
    {
        await using var carol = await fixture.ReceiverAsync("carol");
        var marker = Guid.NewGuid().ToString("N");
        var messages = NotificationRequestParser.Parse("application/json", Encoding.UTF8.GetBytes($$"""{"to":"carol","title":"Deploy","body":"{{marker}}"}"""));
        await DeliverThroughHostAsync(messages);
        var received = await carol.WaitForAsync(m => m.Body?.Contains(marker, StringComparison.Ordinal) == true);
        Assert.StartsWith("Deploy", received.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_posted_stanza_keeps_its_id_and_extension_elements_through_the_worker_and_host()
    {
        await using var bob = await fixture.IndependentReceiverAsync("bob");
        var id = "stanza-" + Guid.NewGuid().ToString("N");
        var stanza = $"""
            <message xmlns='jabber:client' to='bob' id='{id}' type='chat'>
              <body>custom client payload</body>
              <alert xmlns='urn:example:alerts' severity='page'/>
            </message>
            """;
        await DeliverThroughHostAsync(NotificationRequestParser.Parse("application/xmpp+xml", Encoding.UTF8.GetBytes(stanza)));
        var received = await bob.WaitForMessageAsync(m => m.Id == id, TimeSpan.FromSeconds(10));
        var alert = Assert.Single(System.Xml.Linq.XElement.Parse(received.Stanza!).Elements(System.Xml.Linq.XName.Get("alert", "urn:example:alerts")));
        Assert.Equal("page", (string?)alert.Attribute("severity"));
    }

    [Fact]
    public async Task A_fan_out_over_the_invocation_cap_is_refused_naming_it_and_nothing_arrives()
    {
        await using var carol = await fixture.ReceiverAsync("carol");
        var marker = Guid.NewGuid().ToString("N");
        // 100 messages of 50 unique targets each: every message is within the per-message cap, together 5,000 stanzas.
        var payload = "[" + string.Join(",", Enumerable.Range(0, XmppMessageJson.MaxMessagesPerPayload).Select(m =>
            $$"""{"to":"carol,{{string.Join(",", Enumerable.Range(1, 49).Select(i => $"u{m}x{i}"))}}","body":"fan-out {{marker}}"}""")) + "]";
        var messages = NotificationRequestParser.Parse("application/json", Encoding.UTF8.GetBytes(payload));
        Assert.Equal(XmppMessageJson.MaxMessagesPerPayload, messages.Count);

        var e = await Assert.ThrowsAsync<Microsoft.Azure.WebJobs.Host.FunctionInvocationException>(() => DeliverThroughHostAsync(messages));
        var refused = Assert.IsType<XmppDeliveryException>(BindingShapeTests.Innermost(e));
        Assert.Contains("maxRecipientsPerInvocation", refused.Message, StringComparison.Ordinal);
        Assert.Contains("nothing was sent", refused.Message, StringComparison.Ordinal);

        // The first message carol gets carrying the marker is the one sent after the refusal: the fan-out sent her nothing.
        await DeliverThroughHostAsync([new XmppMessage { To = "carol", Body = $"after {marker}" }]);
        var first = await carol.WaitForAsync(m => m.Body?.Contains(marker, StringComparison.Ordinal) == true);
        Assert.Equal($"after {marker}", first.Body);
    }

    [Fact]
    public async Task With_host_json_recipients_domain_a_to_outside_the_accounts_domain_is_refused_naming_it_and_nothing_arrives()
    {
        await using var carol = await fixture.ReceiverAsync("carol");
        var marker = Guid.NewGuid().ToString("N");
        var messages = NotificationRequestParser.Parse("application/json", Encoding.UTF8.GetBytes(
            $$"""[{"to":"carol","body":"first {{marker}}"},{"to":"carol,mallory@relay.example","body":"relay {{marker}}"}]"""));

        var e = await Assert.ThrowsAsync<Microsoft.Azure.WebJobs.Host.FunctionInvocationException>(() => DeliverThroughHostAsync(messages, recipients: "domain"));
        var refused = Assert.IsType<XmppDeliveryException>(BindingShapeTests.Innermost(e));
        Assert.Contains("'mallory@relay.example'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("recipients=domain", refused.Message, StringComparison.Ordinal);

        // Within the account's domain the same policy delivers; and it is the first message carol sees.
        await DeliverThroughHostAsync([new XmppMessage { To = "carol", Body = $"after {marker}" }], recipients: "domain");
        var first = await carol.WaitForAsync(m => m.Body?.Contains(marker, StringComparison.Ordinal) == true);
        Assert.Equal($"after {marker}", first.Body);
    }

    /// <summary>
    /// One invocation, two deliveries: the binding's own setting first (to carol, allowed), then a keyed configuration
    /// (<c>XmppConnection__ops</c>) whose message breaks a rule that only the whole invocation or that delivery shows.
    /// Every delivery is checked before the first is sent, so carol gets nothing from it.
    /// </summary>
    public static TheoryData<string, string, string?, string> LaterDeliveryRefusals() => new()
    {
        // The later delivery's recipient is outside the account's domain.
        { "policy", "mallory@relay.example", "domain", "'mallory@relay.example'" },
        // Each delivery is under the byte cap; together they are over it.
        { "bytes", "carol", null, "maxStanzaBytesPerInvocation" },
        // The later delivery's configuration does not exist.
        { "setting", "carol", null, "XmppConnection__missing" },
    };

    [Theory]
    [MemberData(nameof(LaterDeliveryRefusals))]
    public async Task A_refusal_in_a_later_delivery_of_an_invocation_leaves_the_earlier_ones_unsent(string rule, string to, string? recipients, string named)
    {
        await using var carol = await fixture.ReceiverAsync("carol");
        var marker = Guid.NewGuid().ToString("N");
        var padding = new string('x', 600);
        var settings = new Dictionary<string, string?>
        {
            ["XmppConnection__ops"] = fixture.Url("alice"),
            ["AzureWebJobs:extensions:xmpp:maxStanzaBytesPerInvocation"] = "1000",
        };
        XmppMessage[] messages =
        [
            new() { To = "carol", Body = $"first {marker} {padding}" },
            new() { Key = rule == "setting" ? "missing" : "ops", To = to, Body = $"second {marker} {padding}" },
        ];

        var e = await Assert.ThrowsAnyAsync<Exception>(() => DeliverThroughHostAsync(messages, recipients, settings));
        Assert.Contains(named, BindingShapeTests.Innermost(e).Message, StringComparison.Ordinal);

        // The same invocation within the rules delivers both; the first message carol sees is from that one.
        XmppMessage[] allowed =
        [
            new() { To = "carol", Body = $"after {marker}" },
            new() { Key = "ops", To = "carol", Body = $"after {marker} (ops)" },
        ];
        await DeliverThroughHostAsync(allowed, recipients, settings);
        var first = await carol.WaitForAsync(m => m.Body?.Contains(marker, StringComparison.Ordinal) == true);
        Assert.StartsWith($"after {marker}", first.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plain_text_goes_to_the_connection_targets()
    {
        await using var bob = await fixture.ReceiverAsync("bob");
        var marker = Guid.NewGuid().ToString("N");
        await DeliverThroughHostAsync(NotificationRequestParser.Parse("text/plain; charset=utf-8", Encoding.UTF8.GetBytes($"backup done {marker}\n")));
        await bob.WaitForAsync(m => m.Body == $"backup done {marker}");
    }

    [Fact]
    public async Task Xmpp_stanza_with_extended_addressing_is_a_blind_copy_to_each_address_with_xhtml()
    {
        await using var bob = await fixture.ReceiverAsync("bob");
        await using var carol = await fixture.ReceiverAsync("carol");
        var marker = Guid.NewGuid().ToString("N");
        var stanza = $"""
            <message xmlns='jabber:client' type='headline'>
              <subject>Queue</subject>
              <body>{marker} backlog</body>
              <html xmlns='http://jabber.org/protocol/xhtml-im'><body xmlns='http://www.w3.org/1999/xhtml'><p><em>{marker}</em> backlog</p></body></html>
              <addresses xmlns='http://jabber.org/protocol/address'>
                <address type='to' jid='bob@{fixture.Domain}'/>
                <address type='bcc' jid='carol@{fixture.Domain}'/>
              </addresses>
            </message>
            """;
        var messages = NotificationRequestParser.Parse("application/xml", Encoding.UTF8.GetBytes(stanza));
        Assert.Equal(2, messages.Count);
        await DeliverThroughHostAsync(messages);

        foreach (var receiver in new[] { bob, carol })
        {
            var received = await receiver.WaitForAsync(m => m.Body?.Contains(marker, StringComparison.Ordinal) == true);
            Assert.Equal(MessageType.Headline, received.Type);
            Assert.Contains($"<em>{marker}</em>", received.XhtmlBody, StringComparison.Ordinal);
            // A blind copy: neither recipient sees the other's address.
            Assert.DoesNotContain(receiver == bob ? "carol@" : "bob@", received.Xml, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Alertmanager_group_becomes_one_readable_message()
    {
        await using var bob = await fixture.ReceiverAsync("bob");
        var instance = "api-" + Guid.NewGuid().ToString("N")[..8];
        var payload = $$"""
            {"version":"4","groupKey":"{}:{alertname=\"HighLatency\"}","truncatedAlerts":0,"status":"firing","receiver":"xmpp",
             "groupLabels":{"alertname":"HighLatency"},"commonLabels":{"alertname":"HighLatency","severity":"critical"},
             "commonAnnotations":{},"externalURL":"http://alertmanager.example:9093",
             "alerts":[{"status":"firing","labels":{"alertname":"HighLatency","severity":"critical","instance":"{{instance}}"},
                        "annotations":{"summary":"p99 above 2s"},"startsAt":"2026-11-21T10:00:00Z","endsAt":"0001-01-01T00:00:00Z",
                        "generatorURL":"http://prometheus.example/graph","fingerprint":"abc"}]}
            """;
        var messages = AlertmanagerWebhook.Parse(Encoding.UTF8.GetBytes(payload));
        await DeliverThroughHostAsync(messages);
        var received = await bob.WaitForAsync(m => m.Body?.Contains(instance, StringComparison.Ordinal) == true);
        Assert.StartsWith("[FIRING:1] HighLatency", received.Body, StringComparison.Ordinal);
        Assert.Contains("p99 above 2s", received.Body, StringComparison.Ordinal);
        Assert.NotNull(received.XhtmlBody);
    }

    [Fact]
    public async Task Grafana_alert_becomes_one_readable_message()
    {
        await using var bob = await fixture.ReceiverAsync("bob");
        var marker = Guid.NewGuid().ToString("N")[..8];
        var payload = $$"""
            {"receiver":"xmpp","status":"resolved","orgId":1,"version":"1","groupKey":"k","truncatedAlerts":0,
             "title":"[RESOLVED] DiskFull {{marker}}","state":"ok","message":"",
             "groupLabels":{"alertname":"DiskFull"},"commonLabels":{"alertname":"DiskFull"},"commonAnnotations":{},"externalURL":"http://grafana.example/",
             "alerts":[{"status":"resolved","labels":{"alertname":"DiskFull","host":"db1"},"annotations":{"summary":"disk back under 80%"},
                        "startsAt":"2026-11-21T10:00:00Z","endsAt":"2026-11-21T10:05:00Z","values":{"A":79},
                        "generatorURL":"http://grafana.example/alerting/1","fingerprint":"f","silenceURL":"http://grafana.example/silence",
                        "dashboardURL":"","panelURL":""}]}
            """;
        await DeliverThroughHostAsync(GrafanaWebhook.Parse(Encoding.UTF8.GetBytes(payload)));
        var received = await bob.WaitForAsync(m => m.Body?.Contains(marker, StringComparison.Ordinal) == true);
        Assert.StartsWith($"[RESOLVED] DiskFull {marker}", received.Body, StringComparison.Ordinal);
        Assert.Contains("disk back under 80%", received.Body, StringComparison.Ordinal);
    }

    public static class Functions
    {
        // What the Functions host does with an isolated-worker return value: bytes into the default collector.
        [NoAutomaticTrigger]
        public static async Task WorkerReturn(string payload, IBinder binder)
        {
            var collector = await binder.BindAsync<IAsyncCollector<byte[]>>(new XmppAttribute());
            await collector.AddAsync(Convert.FromBase64String(payload));
        }
    }
}
