using System.Collections.Concurrent;
using Xmpp.Notifications;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp.Tests.Extension;

/// <summary>
/// Stands in for the network side only: records exactly what the binding asked to deliver, so the binding's own
/// conversion can be asserted. Delivery itself is tested end to end against Prosody.
/// </summary>
public sealed class RecordingNotifier : IXmppNotifier
{
    public ConcurrentQueue<(IReadOnlyList<string> Urls, IReadOnlyList<Notification> Notifications)> Calls { get; } = new();

    /// <summary>Decides the outcome for one URL; delivered to every target by default.</summary>
    public Func<string, UrlOutcome> Outcome { get; set; } = url => Delivered("xmpp://redacted");

    public IReadOnlyList<Notification> All => Calls.SelectMany(c => c.Notifications).ToList();

    public Task<NotifyResult> NotifyAsync(IReadOnlyList<string> urls, IReadOnlyList<Notification> notifications, CancellationToken cancellationToken)
    {
        Calls.Enqueue((urls.ToList(), notifications.ToList()));
        return Task.FromResult(new NotifyResult(urls.Select(Outcome).ToList()));
    }

    public static UrlOutcome Delivered(string redactedUrl) =>
        new(redactedUrl, false, [new TargetOutcome("alice@example.org", TargetStatus.Delivered)]);

    public static UrlOutcome Failed(string redactedUrl, NotifyFailureKind kind, string error) =>
        new(redactedUrl, false, [new TargetOutcome("alice@example.org", TargetStatus.NotSent)], kind, error);
}
