using System.Diagnostics.Metrics;
using Microsoft.Azure.WebJobs.Logging;
using Microsoft.Extensions.Logging;
using Xmpp.Notifications;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp.Config;

/// <summary>
/// Hands the notifier's metrics (<see cref="XmppNotificationsTelemetry"/>) to the host's logging as WebJobs metrics
/// (<c>ILogger.LogMetric</c>), which the Functions host's Application Insights logger stores in <c>customMetrics</c>
/// with the tags as custom dimensions. The host's classic Application Insights collection does not subscribe to other
/// meters, and the deliveries run in the host, not in the worker, so this is where they must be bridged.
/// </summary>
internal sealed class XmppMetricsForwarder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ILogger _logger;

    public XmppMetricsForwarder(ILoggerFactory loggerFactory)
    {
        _logger = loggerFactory.CreateLogger("Host.Bindings.Xmpp");
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == XmppNotificationsTelemetry.Name)
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Forward(instrument.Name, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Forward(instrument.Name, value, tags));
        _listener.Start();
    }

    private void Forward(string name, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var properties = new Dictionary<string, object>(tags.Length, StringComparer.Ordinal);
        foreach (var (key, tag) in tags)
        {
            if (tag is not null)
                properties[key] = tag;
        }
        _logger.LogMetric(name, value, properties);
    }

    public void Dispose() => _listener.Dispose();
}
