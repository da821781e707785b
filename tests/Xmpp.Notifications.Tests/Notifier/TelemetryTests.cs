using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Xmpp.Notifications.Tests.Notifier;

/// <summary>The telemetry tests count every measurement of the meter, so nothing else may deliver meanwhile.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryTestGroup
{
    public const string Name = "Telemetry";
}

/// <summary>
/// Spans and metrics of real deliveries to Prosody, seen through in-process listeners the way an OpenTelemetry SDK or
/// Application Insights sees them; and never a password or a message body among them.
/// </summary>
[Collection(TelemetryTestGroup.Name)]
public sealed class TelemetryTests(NotifierFixture server) : IClassFixture<NotifierFixture>, IDisposable
{
    private const string TestSourceName = "Xmpp.Notifications.Tests.Telemetry";

    private static readonly ActivitySource TestSource = new(TestSourceName);

    private readonly ConcurrentQueue<Activity> _spans = new();
    private readonly ConcurrentQueue<(string Instrument, double Value, KeyValuePair<string, object?>[] Tags)> _measurements = new();
    private readonly ActivityListener _activityListener = new();
    private readonly MeterListener _meterListener = new();

    private void Listen()
    {
        _activityListener.ShouldListenTo = source => source.Name is XmppNotificationsTelemetry.Name or TestSourceName;
        _activityListener.Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded;
        _activityListener.ActivityStopped = activity => _spans.Enqueue(activity);
        ActivitySource.AddActivityListener(_activityListener);

        _meterListener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == XmppNotificationsTelemetry.Name)
                listener.EnableMeasurementEvents(instrument);
        };
        _meterListener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => _measurements.Enqueue((instrument.Name, value, tags.ToArray())));
        _meterListener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => _measurements.Enqueue((instrument.Name, value, tags.ToArray())));
        _meterListener.Start();
    }

    public void Dispose()
    {
        _activityListener.Dispose();
        _meterListener.Dispose();
    }

    private static string Unique(string text) => $"{text} {Guid.NewGuid():N}";

    /// <summary>The notifier's spans of one test, found by the trace of the test's own parent span.</summary>
    private List<Activity> SpansOf(ActivityTraceId trace) =>
        _spans.Where(s => s.TraceId == trace && s.Source.Name == XmppNotificationsTelemetry.Name).ToList();

    private List<(double Value, Dictionary<string, object?> Tags)> Measurements(string instrument) =>
        _measurements.Where(m => m.Instrument == instrument).Select(m => (m.Value, m.Tags.ToDictionary(t => t.Key, t => t.Value))).ToList();

    /// <summary>Every text a telemetry backend would store: names, tag values, event names and tags, status descriptions.</summary>
    private IEnumerable<string> EverythingRecorded(IEnumerable<Activity> spans)
    {
        foreach (var span in spans)
        {
            yield return span.DisplayName;
            yield return span.OperationName;
            yield return span.StatusDescription ?? "";
            foreach (var tag in span.TagObjects)
                yield return $"{tag.Key}={tag.Value}";
            foreach (var e in span.Events)
            {
                yield return e.Name;
                foreach (var tag in e.Tags)
                    yield return $"{tag.Key}={tag.Value}";
            }
        }

        foreach (var (_, _, tags) in _measurements)
        {
            foreach (var tag in tags)
                yield return $"{tag.Key}={tag.Value}";
        }
    }

    private void AssertNothingSecret(IEnumerable<Activity> spans, params string[] secrets)
    {
        var recorded = EverythingRecorded(spans).ToList();
        Assert.NotEmpty(recorded);
        foreach (var secret in secrets)
            Assert.DoesNotContain(recorded, text => text.Contains(secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_delivery_is_a_span_per_batch_and_per_url_with_the_session_steps_and_counted_metrics()
    {
        Listen();
        await using var bob = await server.IndependentReceiverAsync("bob");
        var title = Unique("telemetry title");
        var body = Unique("telemetry body");
        ActivityTraceId trace;

        NotifyResult result;
        using (var parent = TestSource.StartActivity("test"))
        {
            trace = parent!.TraceId;
            result = await server.Notifier().NotifyAsync([server.Url("alice", "bob")], [new Notification(title, body)], default);
        }

        Assert.True(result.Success, result.Describe());
        await bob.WaitForMessageAsync(m => m.Body?.Contains(body, StringComparison.Ordinal) == true, TimeSpan.FromSeconds(10));

        var spans = SpansOf(trace);
        var delivery = Assert.Single(spans, s => s.OperationName == "notify");
        var url = Assert.Single(spans, s => s.OperationName != "notify");
        Assert.Equal(delivery.SpanId, url.ParentSpanId);
        Assert.Equal(ActivityKind.Producer, url.Kind);
        Assert.Equal("send 127.0.0.1", url.DisplayName);
        Assert.Equal("xmpp", url.GetTagItem("messaging.system"));
        Assert.Equal("127.0.0.1", url.GetTagItem("server.address"));
        Assert.Equal(server.Server.C2sPort, url.GetTagItem("server.port"));
        Assert.Equal($"bob@{server.Domain}", url.GetTagItem("messaging.destination.name"));
        Assert.Equal(1, url.GetTagItem("messaging.batch.message_count"));
        Assert.Null(url.GetTagItem("error.type"));
        Assert.NotEqual(ActivityStatusCode.Error, url.Status);
        Assert.Equal(["connect", "tls", "authenticate", "send", "acknowledge"], url.Events.Select(e => e.Name));
        Assert.Equal(1, url.Events.Single(e => e.Name == "acknowledge").Tags.Single(t => t.Key == "xmpp.acknowledged_count").Value);
        Assert.Null(delivery.GetTagItem("error.type"));

        var delivered = Assert.Single(Measurements(XmppNotificationsTelemetry.DeliveredCounter));
        Assert.Equal(1, delivered.Value);
        Assert.Equal("127.0.0.1", delivered.Tags["server.address"]);
        Assert.Empty(Measurements(XmppNotificationsTelemetry.FailedCounter));
        var duration = Assert.Single(Measurements(XmppNotificationsTelemetry.DurationHistogram));
        Assert.InRange(duration.Value, 0.0001, 60);
        Assert.False(duration.Tags.ContainsKey("error.type"));

        AssertNothingSecret(spans, server.Password("alice"), Uri.EscapeDataString(server.Password("alice")), body, title);
    }

    [Fact]
    public async Task Failures_are_typed_in_spans_and_counted_by_kind_without_the_password()
    {
        Listen();
        var wrong = Unique("Wrong/pw:");
        var invalidPassword = Unique("Invalid/pw");
        var body = Unique("never delivered");
        ActivityTraceId trace;

        NotifyResult result;
        using (var parent = TestSource.StartActivity("test"))
        {
            trace = parent!.TraceId;
            result = await server.Notifier().NotifyAsync(
                [server.Url("alice", "bob", password: wrong), $"xmpp://alice:{Uri.EscapeDataString(invalidPassword)}@{server.Domain}/bob?mode=bogus"],
                [new Notification(null, body)],
                default);
        }

        Assert.False(result.Success);
        var spans = SpansOf(trace);
        var delivery = Assert.Single(spans, s => s.OperationName == "notify");
        var url = Assert.Single(spans, s => s.OperationName != "notify");
        Assert.Equal("authentication", url.GetTagItem("error.type"));
        Assert.Equal(ActivityStatusCode.Error, url.Status);
        Assert.Contains("connect", url.Events.Select(e => e.Name));
        Assert.DoesNotContain("authenticate", url.Events.Select(e => e.Name));
        Assert.DoesNotContain("send", url.Events.Select(e => e.Name));
        Assert.Equal(ActivityStatusCode.Error, delivery.Status);
        Assert.NotNull(delivery.GetTagItem("error.type"));

        var failed = Measurements(XmppNotificationsTelemetry.FailedCounter);
        Assert.Equal(["authentication", "invalid_url"], failed.Select(f => (string)f.Tags["error.type"]!).Order());
        Assert.All(failed, f => Assert.Equal(1, f.Value));
        Assert.Empty(Measurements(XmppNotificationsTelemetry.DeliveredCounter));
        var duration = Assert.Single(Measurements(XmppNotificationsTelemetry.DurationHistogram));
        Assert.Equal("authentication", duration.Tags["error.type"]);

        AssertNothingSecret(spans, wrong, Uri.EscapeDataString(wrong), invalidPassword, Uri.EscapeDataString(invalidPassword), server.Password("alice"), body);
    }
}
