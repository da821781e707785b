using System.Diagnostics;
using System.Diagnostics.Metrics;
using Xmpp.Notifications.Apprise;

namespace Xmpp.Notifications;

/// <summary>
/// Traces and metrics of deliveries, with System.Diagnostics only: any OpenTelemetry SDK or Application Insights picks
/// them up by name (<see cref="Name"/> for both the <see cref="ActivitySource"/> and the <see cref="Meter"/>).
/// A delivery is one span (<c>notify</c>) with one child span per URL (<c>send {host}</c>); the URL span carries the
/// session's steps as events (connect, tls, authenticate, send, acknowledge). Attributes follow OpenTelemetry's
/// messaging conventions where they fit. Never recorded: passwords, URLs with credentials, message bodies or subjects.
/// </summary>
public static class XmppNotificationsTelemetry
{
    /// <summary>The name of the activity source and of the meter.</summary>
    public const string Name = "Xmpp.Notifications";

    /// <summary>Messages the server acknowledged (one per target), tagged with <c>server.address</c>.</summary>
    public const string DeliveredCounter = "xmpp.notifications.messages.delivered";

    /// <summary>Messages not delivered (one per target, or one per invalid URL), tagged with <c>error.type</c> (the failure kind) and <c>server.address</c>.</summary>
    public const string FailedCounter = "xmpp.notifications.messages.failed";

    /// <summary>Seconds from the start of a URL's delivery to its outcome, tagged with <c>server.address</c> and, on failure, <c>error.type</c>.</summary>
    public const string DurationHistogram = "xmpp.notifications.delivery.duration";

    internal static readonly ActivitySource Source = new(Name, typeof(XmppNotificationsTelemetry).Assembly.GetName().Version?.ToString());

    private static readonly Meter Meter = new(Name, typeof(XmppNotificationsTelemetry).Assembly.GetName().Version?.ToString());

    private static readonly Counter<long> Delivered = Meter.CreateCounter<long>(DeliveredCounter, "{message}", "Messages the XMPP server acknowledged.");

    private static readonly Counter<long> Failed = Meter.CreateCounter<long>(FailedCounter, "{message}", "Messages that were not delivered, by failure kind.");

    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>(DurationHistogram, "s", "Duration of one URL's delivery, from connecting to the outcome.");

    /// <summary>The span of one delivery of <paramref name="notifications"/> to <paramref name="urls"/> URLs.</summary>
    internal static Activity? StartDelivery(int urls, int notifications)
    {
        var activity = Source.StartActivity("notify", ActivityKind.Internal);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.system", "xmpp");
            activity.SetTag("messaging.operation.type", "send");
            activity.SetTag("messaging.batch.message_count", notifications);
            activity.SetTag("xmpp.notifications.url_count", urls);
        }

        return activity;
    }

    /// <summary>The span of one URL's delivery; its name and attributes carry no credentials.</summary>
    internal static Activity? StartUrl(AppriseXmppUrl url, int messages)
    {
        var activity = Source.StartActivity("send " + url.ConnectHost, ActivityKind.Producer);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.system", "xmpp");
            activity.SetTag("messaging.operation.type", "send");
            activity.SetTag("messaging.operation.name", "send");
            activity.SetTag("messaging.destination.name", string.Join(",", url.Targets.Select(t => t.Jid.ToString()).Distinct(StringComparer.Ordinal)));
            activity.SetTag("messaging.batch.message_count", messages);
            activity.SetTag("server.address", url.ConnectHost);
            activity.SetTag("server.port", url.Port);
            activity.SetTag("xmpp.login_jid", url.LoginJid.Bare.ToString());
        }

        return activity;
    }

    /// <summary>A step of the session on the current URL span: connect, tls, authenticate, send, acknowledge.</summary>
    internal static void Step(string name, params (string Key, object? Value)[] tags)
    {
        if (Activity.Current is not { IsAllDataRequested: true } activity || activity.Source != Source)
        {
            return;
        }

        var collection = new ActivityTagsCollection();
        foreach (var (key, value) in tags)
        {
            collection[key] = value;
        }

        activity.AddEvent(new ActivityEvent(name, tags: collection));
    }

    /// <summary>Counts, times and closes the span of one URL's outcome.</summary>
    internal static void Finish(Activity? activity, UrlOutcome outcome, string? serverAddress, TimeSpan elapsed)
    {
        var delivered = outcome.Targets.Count(t => t.Status == TargetStatus.Delivered);
        var failures = outcome.Targets.Where(t => t.Status is TargetStatus.Failed or TargetStatus.NotSent)
            .Select(t => t.Failure == NotifyFailureKind.None ? outcome.Failure : t.Failure)
            .ToList();
        if (outcome.Targets.Count == 0 && outcome.Failure != NotifyFailureKind.None)
        {
            failures.Add(outcome.Failure);
        }

        // An invalid URL names no server and took no time worth charting: it is only counted.
        var server = new TagList();
        if (serverAddress is not null)
        {
            server.Add("server.address", serverAddress);
        }

        if (delivered > 0)
        {
            Delivered.Add(delivered, server);
        }

        foreach (var kind in failures)
        {
            var tags = server;
            tags.Add("error.type", ErrorType(kind));
            Failed.Add(1, tags);
        }

        var error = outcome.Delivered ? null : ErrorType(outcome.Failure != NotifyFailureKind.None ? outcome.Failure : failures.FirstOrDefault());
        if (serverAddress is not null)
        {
            var tags = server;
            if (error is not null)
            {
                tags.Add("error.type", error);
            }

            Duration.Record(elapsed.TotalSeconds, tags);
        }

        if (activity is null)
        {
            return;
        }

        activity.SetTag("xmpp.notifications.delivered_count", delivered);
        if (error is not null)
        {
            activity.SetTag("error.type", error);
            activity.SetTag("xmpp.notifications.optional", outcome.Optional);
            // The error text names hosts, targets and conditions; the client keeps credentials out of it.
            activity.SetStatus(ActivityStatusCode.Error, outcome.Error);
        }

        activity.Dispose();
    }

    /// <summary>Closes the delivery span with the first failure of a URL that is not optional, if any.</summary>
    internal static void Finish(Activity? activity, NotifyResult result)
    {
        if (activity is null)
        {
            return;
        }

        var failed = result.Urls.FirstOrDefault(u => !u.Delivered && !u.Optional);
        if (failed is not null)
        {
            var kind = failed.Failure != NotifyFailureKind.None ? failed.Failure : failed.Targets.Select(t => t.Failure).FirstOrDefault(f => f != NotifyFailureKind.None);
            activity.SetTag("error.type", ErrorType(kind));
            activity.SetStatus(ActivityStatusCode.Error, failed.Url + ": " + (failed.Error ?? ErrorType(kind)));
        }

        activity.Dispose();
    }

    /// <summary>The failure kind as an <c>error.type</c> value: invalid_url, connection, tls, authentication, rejected...</summary>
    internal static string ErrorType(NotifyFailureKind kind) => kind switch
    {
        NotifyFailureKind.None => "_OTHER",
        NotifyFailureKind.InvalidUrl => "invalid_url",
        NotifyFailureKind.NoReceipt => "no_receipt",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
