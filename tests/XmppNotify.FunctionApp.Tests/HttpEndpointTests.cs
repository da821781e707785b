using System.Net;
using System.Text;
using Xmpp.Client;
using XmppNotify.Azure.WebJobs.Extensions.Xmpp;
using XmppNotify.FunctionApp.Tests.HostProtocol;
using HarnessStatus = XmppNotify.FunctionApp.Tests.HostProtocol.Rpc.StatusResult.Types.Status;

namespace XmppNotify.FunctionApp.Tests;

/// <summary>
/// The HTTP endpoints of the built app, invoked through the host protocol with RpcHttp trigger data; the XMPP output
/// goes through the real extension to Prosody and is checked by a separate session; the response is composed as the
/// host does for the built-in model (after the flush; 500 when the invocation or the flush failed).
/// </summary>
[Collection(FunctionAppDefinition.Name)]
public sealed class HttpEndpointTests(FunctionAppFixture app)
{
    private Task<HttpExchange> PostAsync(string function, string route, string contentType, string body, OutputBindingHost? outputs = null) =>
        app.Host.SendHttpAsync(function, HarnessHttpRequest.Post("/api/" + route, contentType, body), outputs ?? app.Outputs);

    private static void AssertDelivered(HttpExchange exchange, int messages)
    {
        Assert.True(exchange.Response.StatusCode == HttpStatusCode.OK, exchange.Response.ToString());
        Assert.Contains($"\"delivered\":{messages}", exchange.Response.BodyText.Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Notify_json_is_delivered_to_its_to_and_answered_200_after_delivery()
    {
        await using var carol = await app.Xmpp.IndependentReceiverAsync("carol");
        var marker = Guid.NewGuid().ToString("N");
        var exchange = await PostAsync("Notify", "notify", "application/json", $$"""{"to":"carol","title":"Deploy","body":"{{marker}}"}""");
        AssertDelivered(exchange, 1);
        var received = await carol.WaitForMessageAsync(m => m.Body?.Contains(marker, StringComparison.Ordinal) == true, TimeSpan.FromSeconds(10));
        Assert.StartsWith("Deploy", received.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(app.Xmpp.Password("alice"), app.Host.Channel.LogText, StringComparison.Ordinal);
        Assert.DoesNotContain(app.Xmpp.Password("alice"), app.Outputs.Runner.Logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain(app.Xmpp.Password("alice"), app.Host.WorkerConsole, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_requests_on_one_worker_stream_are_each_answered_after_their_own_delivery()
    {
        // The host multiplexes invocations over the worker's single stream; responses pair by invocation id.
        await using var bob = await app.Xmpp.ReceiverAsync("bob");
        var markers = Enumerable.Range(0, 6).Select(i => $"{i} {Guid.NewGuid():N}").ToArray();
        var exchanges = await Task.WhenAll(markers.Select(m => PostAsync("Notify", "notify", "text/plain", m)));
        Assert.All(exchanges, e => AssertDelivered(e, 1));
        Assert.Equal(markers.Length, exchanges.Select(e => e.Invocation.InvocationId).Distinct(StringComparer.Ordinal).Count());
        var received = new HashSet<string>(StringComparer.Ordinal);
        while (received.Count < markers.Length)
        {
            received.Add((await bob.WaitForAsync(m => markers.Contains(m.Body) && !received.Contains(m.Body!))).Body!);
        }
    }

    [Fact]
    public void Every_http_endpoint_of_the_built_app_has_delivery_tests_here()
    {
        // "Every endpoint delivers" holds only while this list follows the app: a new endpoint fails here until its
        // payloads are driven through the harness in this class.
        // AppriseNotify's are in AppriseApiEndpointTests (with a real Apprise client).
        // Message's are in HttpMessageEndpointTests.
        string[] covered = ["Alertmanager", "AppriseNotify", "AzureMonitor", "Grafana", "Message", "Notify"];
        var endpoints = app.Host.Functions.Values.Where(f => (string?)f.Trigger["type"] == "httpTrigger").Select(f => f.Name).Order(StringComparer.Ordinal).ToArray();
        var untested = endpoints.Except(covered, StringComparer.Ordinal).ToArray();
        Assert.True(untested.Length == 0, $"HTTP endpoints without a delivery test through the host-protocol harness: {string.Join(", ", untested)} (add them to HttpEndpointTests).");
        Assert.Equal(covered, endpoints);
    }

    [Fact]
    public async Task Notify_json_array_fans_out_into_one_message_per_item()
    {
        await using var bob = await app.Xmpp.ReceiverAsync("bob");
        await using var carol = await app.Xmpp.ReceiverAsync("carol");
        var marker = Guid.NewGuid().ToString("N");
        var exchange = await PostAsync("Notify", "notify", "application/json", $$"""[{"to":"bob","body":"{{marker}} one"},{"to":"carol","body":"{{marker}} two"}]""");
        AssertDelivered(exchange, 2);
        await bob.WaitForAsync(m => m.Body == $"{marker} one");
        await carol.WaitForAsync(m => m.Body == $"{marker} two");
    }

    [Fact]
    public async Task Notify_plain_text_goes_to_the_connection_targets()
    {
        await using var bob = await app.Xmpp.ReceiverAsync("bob");
        var marker = Guid.NewGuid().ToString("N");
        AssertDelivered(await PostAsync("Notify", "notify", "text/plain; charset=utf-8", $"backup done {marker}\n"), 1);
        await bob.WaitForAsync(m => m.Body == $"backup done {marker}");
    }

    [Fact]
    public async Task Notify_stanza_with_extended_addressing_reaches_each_address()
    {
        await using var bob = await app.Xmpp.ReceiverAsync("bob");
        await using var carol = await app.Xmpp.ReceiverAsync("carol");
        var marker = Guid.NewGuid().ToString("N");
        var stanza = $"""
            <message xmlns='jabber:client' type='headline'>
              <subject>Queue</subject>
              <body>{marker} backlog</body>
              <addresses xmlns='http://jabber.org/protocol/address'>
                <address type='to' jid='bob@{app.Xmpp.Domain}'/>
                <address type='bcc' jid='carol@{app.Xmpp.Domain}'/>
              </addresses>
            </message>
            """;
        AssertDelivered(await PostAsync("Notify", "notify", "application/xml", stanza), 2);
        foreach (var receiver in new[] { bob, carol })
        {
            var received = await receiver.WaitForAsync(m => m.Body?.Contains(marker, StringComparison.Ordinal) == true);
            Assert.Equal(MessageType.Headline, received.Type);
        }
    }

    [Fact]
    public async Task Alertmanager_webhook_is_delivered_as_one_readable_message()
    {
        await using var bob = await app.Xmpp.IndependentReceiverAsync("bob");
        var instance = "api-" + Guid.NewGuid().ToString("N")[..8];
        var payload = $$"""
            {"version":"4","groupKey":"{}:{alertname=\"HighLatency\"}","truncatedAlerts":0,"status":"firing","receiver":"xmpp",
             "groupLabels":{"alertname":"HighLatency"},"commonLabels":{"alertname":"HighLatency","severity":"critical"},
             "commonAnnotations":{},"externalURL":"http://alertmanager.example:9093",
             "alerts":[{"status":"firing","labels":{"alertname":"HighLatency","severity":"critical","instance":"{{instance}}"},
                        "annotations":{"summary":"p99 above 2s"},"startsAt":"2026-11-21T10:00:00Z","endsAt":"0001-01-01T00:00:00Z",
                        "generatorURL":"http://prometheus.example/graph","fingerprint":"abc"}]}
            """;
        AssertDelivered(await PostAsync("Alertmanager", "alerts/alertmanager", "application/json", payload), 1);
        var received = await bob.WaitForMessageAsync(m => m.Body?.Contains(instance, StringComparison.Ordinal) == true, TimeSpan.FromSeconds(10));
        Assert.StartsWith("[FIRING:1] HighLatency", received.Body, StringComparison.Ordinal);
        Assert.Contains("p99 above 2s", received.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Azure_monitor_alert_is_delivered_as_one_readable_message()
    {
        await using var bob = await app.Xmpp.ReceiverAsync("bob");
        var rule = "cpu-" + Guid.NewGuid().ToString("N")[..8];
        var payload = """
            {"schemaId":"azureMonitorCommonAlertSchema","data":{"essentials":{"alertId":"/subscriptions/s/providers/Microsoft.AlertsManagement/alerts/a1",
             "alertRule":"RULE","severity":"Sev2","signalType":"Metric","monitorCondition":"Fired","monitoringService":"Platform",
             "alertTargetIDs":["/subscriptions/s/resourcegroups/rg/providers/microsoft.compute/virtualmachines/web-01"],"configurationItems":["web-01"],
             "firedDateTime":"2026-11-30T10:05:24Z"},
             "alertContext":{"conditionType":"SingleResourceMultipleMetricCriteria","condition":{"windowSize":"PT5M","allOf":[
               {"metricName":"Percentage CPU","operator":"GreaterThan","threshold":"80","timeAggregation":"Average","dimensions":[],"metricValue":93.25}]}}}}
            """.Replace("RULE", rule, StringComparison.Ordinal);
        AssertDelivered(await PostAsync("AzureMonitor", "alerts/azuremonitor", "application/json", payload), 1);
        var received = await bob.WaitForAsync(m => m.Body?.Contains(rule, StringComparison.Ordinal) == true);
        Assert.StartsWith($"[FIRED Sev2] {rule} (web-01)", received.Body, StringComparison.Ordinal);
        Assert.Contains("Percentage CPU (Average): 93.25 > 80", received.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Grafana_webhook_is_delivered_as_one_readable_message()
    {
        await using var bob = await app.Xmpp.ReceiverAsync("bob");
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
        AssertDelivered(await PostAsync("Grafana", "alerts/grafana", "application/json", payload), 1);
        var received = await bob.WaitForAsync(m => m.Body?.Contains(marker, StringComparison.Ordinal) == true);
        Assert.StartsWith($"[RESOLVED] DiskFull {marker}", received.Body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Notify", "notify", "application/json", """{"to":"bob","body":""")]
    [InlineData("Notify", "notify", "application/xml", "<message xmlns='jabber:client'><body>x</body>")]
    [InlineData("Alertmanager", "alerts/alertmanager", "application/json", """{"version":"3","alerts":[]}""")]
    [InlineData("Grafana", "alerts/grafana", "application/json", "not json at all")]
    [InlineData("AzureMonitor", "alerts/azuremonitor", "application/json", """{"schemaId":"Microsoft.Insights/activityLogs","data":{}}""")]
    public async Task A_bad_payload_is_400_with_the_reason_and_nothing_is_sent(string function, string route, string contentType, string body)
    {
        await using var bob = await app.Xmpp.ReceiverAsync("bob");
        var exchange = await PostAsync(function, route, contentType, body);
        Assert.True(exchange.Response.StatusCode == HttpStatusCode.BadRequest, exchange.Response.ToString());
        Assert.False(string.IsNullOrWhiteSpace(exchange.Response.BodyText));
        Assert.Null(FunctionsHostHarness.OutputValue(exchange.Invocation, "Messages"));

        // Messages from one sender to one receiver arrive in order: once a later marker is in, nothing came before it.
        var marker = Guid.NewGuid().ToString("N");
        AssertDelivered(await PostAsync("Notify", "notify", "text/plain", marker), 1);
        var first = await bob.WaitForAsync(_ => true);
        Assert.Equal(marker, first.Body);
    }

    [Fact]
    public async Task An_oversize_body_is_413_and_nothing_is_sent()
    {
        var body = new string('x', 256 * 1024 + 1);
        var exchange = await PostAsync("Notify", "notify", "text/plain", body);
        Assert.True(exchange.Response.StatusCode == HttpStatusCode.RequestEntityTooLarge, exchange.Response.ToString());
        Assert.Null(FunctionsHostHarness.OutputValue(exchange.Invocation, "Messages"));
    }

    [Fact]
    public async Task A_chunked_body_without_content_length_reaches_the_function_empty_as_in_the_host_and_is_400()
    {
        // The host copies the body into RpcHttp only for Content-Length > 0, so a chunked upload arrives empty: the
        // caller gets the empty-body 400 and nothing is sent (never a 200 for a notification that was not read).
        var request = HarnessHttpRequest.Post("/api/notify", "text/plain", "sent chunked").Chunked();
        var exchange = await app.Host.SendHttpAsync("Notify", request, app.Outputs);
        Assert.True(exchange.Response.StatusCode == HttpStatusCode.BadRequest, exchange.Response.ToString());
        Assert.Contains("empty", exchange.Response.BodyText, StringComparison.OrdinalIgnoreCase);
        Assert.Null(FunctionsHostHarness.OutputValue(exchange.Invocation, "Messages"));
    }

    [Fact]
    public async Task A_wrong_password_fails_the_invocation_and_the_answer_is_500_never_200()
    {
        var marker = Guid.NewGuid().ToString("N");
        var exchange = await PostAsync("Notify", "notify", "text/plain", marker, app.WrongPasswordOutputs);

        // The worker did its part (parsed, produced an OK response and the message) ...
        Assert.Equal(HarnessStatus.Success, exchange.Invocation.Result.Status);
        Assert.NotNull(FunctionsHostHarness.OutputValue(exchange.Invocation, "Messages"));

        // ... the extension's flush failed at authentication, so the host discards that response and answers 500.
        Assert.False(exchange.Result.Succeeded);
        var delivery = DeliveryFailure(exchange.Result.FlushException);
        Assert.Contains("auth", delivery.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.InternalServerError, exchange.Response.StatusCode);
        Assert.DoesNotContain(app.WrongPassword, exchange.Result.FlushException!.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(app.WrongPassword, app.WrongPasswordOutputs.Runner.Logs.AllText, StringComparison.Ordinal);
    }

    /// <summary>The extension's typed failure inside what the JobHost threw.</summary>
    internal static XmppDeliveryException DeliveryFailure(Exception? flush)
    {
        for (var e = flush; e is not null; e = e.InnerException)
        {
            if (e is XmppDeliveryException delivery)
            {
                return delivery;
            }
        }

        throw new Xunit.Sdk.XunitException($"No XmppDeliveryException in: {flush}");
    }

    [Theory]
    [InlineData("RpcHttpBodyOnly")]
    [InlineData("RawHttpBodyBytes")]
    [InlineData("RpcHttpTriggerMetadataRemoved")]
    [InlineData("UseNullableValueDictionaryForHttp")]
    public void The_worker_reports_the_capabilities_the_harness_shapes_RpcHttp_for(string capability)
    {
        // HttpTrigger.ToRpcHttp sends what the host sends a worker with these; a worker without one would get another shape.
        Assert.Equal("True", app.Host.WorkerCapabilities[capability], ignoreCase: true);
        var http = HttpTrigger.ToRpcHttp(HarnessHttpRequest.Post("/api/notify?code=abc", "text/plain", Encoding.UTF8.GetBytes("x")), app.Host.WorkerCapabilities).Http;
        Assert.Equal("text/plain", http.NullableHeaders["content-type"].Value);
        Assert.Equal("abc", http.NullableQuery["code"].Value);
        Assert.Equal(HostProtocol.Rpc.TypedData.DataOneofCase.Bytes, http.Body.DataCase);
        Assert.Null(http.RawBody);
    }
}
