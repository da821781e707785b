using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Xmpp.Notifications.Tests.Notifier;

/// <summary>
/// What each outcome leaves in traces and metrics, against the scripted server: a delivery, an unacknowledged message,
/// an invalid URL and a refused call. The meter is process-wide, so these run alone (the telemetry collection).
/// </summary>
[Collection(TelemetryTestGroup.Name)]
public sealed class ScriptedTelemetryTests : IDisposable
{
    private const string TestSourceName = "Xmpp.Notifications.Tests.ScriptedTelemetry";
    private static readonly ActivitySource TestSource = new(TestSourceName);

    private readonly ConcurrentQueue<Activity> _spans = new();
    private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> _measurements = new();
    private readonly ActivityListener _activityListener;
    private readonly MeterListener _meterListener = new();

    public ScriptedTelemetryTests()
    {
        _activityListener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is XmppNotificationsTelemetry.Name or TestSourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _spans.Enqueue,
        };
        ActivitySource.AddActivityListener(_activityListener);
        _meterListener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == XmppNotificationsTelemetry.Name)
                listener.EnableMeasurementEvents(instrument);
        };
        _meterListener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => _measurements.Enqueue((instrument.Name, value, Tags(tags))));
        _meterListener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => _measurements.Enqueue((instrument.Name, value, Tags(tags))));
        _meterListener.Start();
    }

    private static Dictionary<string, object?> Tags(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var result = new Dictionary<string, object?>();
        foreach (var tag in tags)
            result[tag.Key] = tag.Value;
        return result;
    }

    public void Dispose()
    {
        _activityListener.Dispose();
        _meterListener.Dispose();
    }

    private List<Dictionary<string, object?>> Measured(string instrument) =>
        _measurements.Where(m => m.Instrument == instrument).Select(m => m.Tags).ToList();

    private async Task<(NotifyResult Result, Activity Delivery, Activity? Url)> NotifyAsync(string url, XmppNotifierOptions? options = null)
    {
        ActivityTraceId trace;
        NotifyResult result;
        using (var parent = TestSource.StartActivity("test"))
        {
            trace = parent!.TraceId;
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            result = await new XmppNotifier(options: options).NotifyAsync([url], [new(null, "hello")], cts.Token);
        }
        var spans = _spans.Where(s => s.TraceId == trace && s.Source.Name == XmppNotificationsTelemetry.Name).ToList();
        return (result, spans.Single(s => s.OperationName == "notify"), spans.SingleOrDefault(s => s.OperationName != "notify"));
    }

    [Fact]
    public async Task A_delivery_is_counted_timed_and_its_spans_closed_without_error()
    {
        await using var server = ScriptedServer.Honest();

        var (result, delivery, url) = await NotifyAsync(ScriptedServer.Url(server));

        Assert.True(result.Success);
        Assert.NotNull(url);
        Assert.Equal(1, url.GetTagItem("xmpp.notifications.delivered_count"));
        Assert.Equal(ActivityStatusCode.Unset, url.Status);
        Assert.Equal(ActivityStatusCode.Unset, delivery.Status);
        Assert.Equal("127.0.0.1", Assert.Single(Measured(XmppNotificationsTelemetry.DeliveredCounter))["server.address"]);
        Assert.Empty(Measured(XmppNotificationsTelemetry.FailedCounter));
        Assert.False(Assert.Single(Measured(XmppNotificationsTelemetry.DurationHistogram)).ContainsKey("error.type"));
    }

    [Fact]
    public async Task An_unacknowledged_message_is_an_error_on_both_spans_and_counted_by_kind()
    {
        await using var server = ScriptedServer.Start((_, _, _) => null);

        var (result, delivery, url) = await NotifyAsync(ScriptedServer.Url(server));

        Assert.False(result.Success);
        Assert.NotNull(url);
        Assert.Equal(ActivityStatusCode.Error, url.Status);
        Assert.Equal("unacknowledged", url.GetTagItem("error.type"));
        Assert.Equal(ActivityStatusCode.Error, delivery.Status);
        Assert.Equal("unacknowledged", delivery.GetTagItem("error.type"));
        Assert.Equal("unacknowledged", Assert.Single(Measured(XmppNotificationsTelemetry.FailedCounter))["error.type"]);
        Assert.Equal("unacknowledged", Assert.Single(Measured(XmppNotificationsTelemetry.DurationHistogram))["error.type"]);
    }

    [Fact]
    public async Task An_invalid_url_is_counted_without_a_server_or_a_url_span()
    {
        var (result, delivery, url) = await NotifyAsync("xmpp://alice:pw@example.org:0/bob");

        Assert.Equal(NotifyFailureKind.InvalidUrl, Assert.Single(result.Urls).Failure);
        Assert.Null(url);
        Assert.Equal("invalid_url", delivery.GetTagItem("error.type"));
        var failed = Assert.Single(Measured(XmppNotificationsTelemetry.FailedCounter));
        Assert.Equal("invalid_url", failed["error.type"]);
        Assert.False(failed.ContainsKey("server.address"));
        Assert.Empty(Measured(XmppNotificationsTelemetry.DurationHistogram));
    }

    [Fact]
    public async Task A_refused_call_closes_its_span_with_the_refusal()
    {
        var (result, delivery, url) = await NotifyAsync("xmpp://alice:pw@example.org/a/b", new XmppNotifierOptions { MaxRecipientsPerCall = 1 });

        Assert.False(result.Success);
        Assert.Null(url);
        Assert.Equal(ActivityStatusCode.Error, delivery.Status);
        Assert.Equal("rejected", delivery.GetTagItem("error.type"));
        Assert.Empty(Measured(XmppNotificationsTelemetry.DeliveredCounter));
    }
}
