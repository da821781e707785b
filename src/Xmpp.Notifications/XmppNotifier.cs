using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;
using Xmpp.Client;
using Xmpp.Notifications.Apprise;
using Xmpp.Notifications.Formatting;

namespace Xmpp.Notifications;

/// <summary>
/// Delivers notifications to Apprise XMPP URLs. For each distinct URL: one connection, each room joined once, every
/// message sent to every target, the server's acknowledgement awaited, the connection closed. URLs are served
/// concurrently. A URL's <c>retry</c> re-delivers only what was not acknowledged, and only after transient failures.
/// </summary>
public sealed partial class XmppNotifier : IXmppNotifier
{
    private readonly ILogger _logger;
    private readonly XmppNotifierOptions _options;

    public XmppNotifier(ILogger? logger = null, XmppNotifierOptions? options = null)
    {
        _logger = logger ?? NullLogger.Instance;
        _options = options ?? new XmppNotifierOptions();
    }

    public async Task<NotifyResult> NotifyAsync(IReadOnlyList<string> urls, IReadOnlyList<Notification> notifications, CancellationToken cancellationToken)
    {
        // Stryker disable once Statement : Distinct throws the same ArgumentNullException for a null source
        ArgumentNullException.ThrowIfNull(urls);
        ArgumentNullException.ThrowIfNull(notifications);
        var distinct = urls.Distinct(StringComparer.Ordinal).ToList();
        using var activity = XmppNotificationsTelemetry.StartDelivery(distinct.Count, notifications.Count);
        if (ExceedsLimits(distinct, notifications, _options) is { } refusal)
        {
            // Refused before any connection: a capped fan-out must not be half sent.
            LogRefused(_logger, refusal);
            var refused = new NotifyResult(distinct.Select(u => new UrlOutcome(UrlRedaction.Redact(u), Optional: false, [], NotifyFailureKind.Rejected, refusal)).ToList());
            XmppNotificationsTelemetry.Finish(activity, refused);
            return refused;
        }
        var outcomes = await Task.WhenAll(distinct.Select(url => DeliverUrlAsync(url, notifications, cancellationToken))).ConfigureAwait(false);
        var result = new NotifyResult(outcomes);
        XmppNotificationsTelemetry.Finish(activity, result);
        return result;
    }

    private async Task<UrlOutcome> DeliverUrlAsync(string url, IReadOnlyList<Notification> notifications, CancellationToken cancellationToken)
    {
        if (!AppriseXmppUrl.TryParse(url, out var plan, out var error))
        {
            var redacted = UrlRedaction.Redact(url);
            LogInvalidUrl(_logger, redacted, error!.Message);
            var invalid = new UrlOutcome(redacted, Optional: false, [], NotifyFailureKind.InvalidUrl, error.Message);
            XmppNotificationsTelemetry.Finish(null, invalid, null, TimeSpan.Zero);
            return invalid;
        }
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        DeliveryPlan work;
        try
        {
            work = Plan(plan!, notifications);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Composing runs before anything is sent; a failure there must still be a typed outcome, not an escape.
            var message = $"the messages could not be prepared ({e.GetType().Name}): {e.Message}";
            LogFailed(_logger, plan!.ToString(), plan.Optional, message);
            return new UrlOutcome(plan.ToString(), plan.Optional, [], NotifyFailureKind.Rejected, message);
        }
        var activity = XmppNotificationsTelemetry.StartUrl(plan!, work.Messages.Count);
        UrlOutcome outcome;
        try
        {
            outcome = await new UrlDelivery(plan!, work, _options, _logger).RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            activity?.Dispose();
            throw;
        }
        XmppNotificationsTelemetry.Finish(activity, outcome, plan!.ConnectHost, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        if (outcome.Delivered)
            LogDelivered(_logger, outcome.Url, outcome.Targets.Count);
        else
            LogFailed(_logger, outcome.Url, outcome.Optional, new NotifyResult([outcome]).Describe());
        return outcome;
    }

    /// <summary>
    /// The recipient and size caps of <see cref="XmppNotifierOptions"/>, over every URL of the call: the reason naming the
    /// cap (and the recipient list that broke it), or null. URLs that do not parse are left to their own outcome.
    /// </summary>
    public static string? ExceedsLimits(IReadOnlyList<string> urls, IReadOnlyList<Notification> notifications, XmppNotifierOptions options) =>
        ExceedsLimits([(urls, notifications)], options);

    /// <summary>
    /// The recipient policy and the caps over several deliveries that make up one invocation (each its own URLs and
    /// notifications, e.g. one per configuration and tag), counted as a whole: a caller that checks them all with this
    /// before sending any can refuse the invocation without having sent a part of it. The reason, or null.
    /// </summary>
    public static string? ExceedsLimits(IReadOnlyList<(IReadOnlyList<string> Urls, IReadOnlyList<Notification> Notifications)> deliveries, XmppNotifierOptions options)
    {
        // Stryker disable Statement : SelectMany and ExceedsRecipientLimits throw the same ArgumentNullException first
        ArgumentNullException.ThrowIfNull(deliveries);
        ArgumentNullException.ThrowIfNull(options);
        // Stryker restore Statement
        if (ExceedsRecipientLimits(deliveries.SelectMany(d => d.Notifications).ToList(), options) is { } reason)
            return reason;

        long recipients = 0, bytes = 0;
        foreach (var (urls, notifications) in deliveries)
        {
            foreach (var url in urls.Distinct(StringComparer.Ordinal))
            {
                if (!AppriseXmppUrl.TryParse(url, out var parsed, out _))
                    continue;
                if (OutsidePolicy(parsed!, notifications, options) is { } outside)
                    return outside;
                // A plan that cannot be made is reported as that URL's own outcome when it is delivered.
                var plan = TryPlan(parsed!, notifications);
                if (plan is null)
                    continue;
                recipients += CountRecipients(plan);
                foreach (var message in plan.Messages)
                {
                    bytes += Utf8(message.Content.Body) + Utf8(message.Content.Subject) + Utf8(message.Content.XhtmlBody) + Utf8(message.ExtensionXml) + Utf8(message.Target.Jid.ToString());
                }
                if (recipients > options.MaxRecipientsPerCall)
                {
                    return $"the messages go to {recipients} recipients in all (a recipient counted once per notification); at most {options.MaxRecipientsPerCall} are allowed per invocation " +
                        "(host.json maxRecipientsPerInvocation, xmpp-notify --max-recipients); nothing was sent.";
                }
                if (bytes > options.MaxStanzaBytesPerCall)
                {
                    return $"the messages add up to {bytes} bytes of text for all recipients; at most {options.MaxStanzaBytesPerCall} are allowed per invocation " +
                        "(host.json maxStanzaBytesPerInvocation, xmpp-notify --max-bytes); nothing was sent.";
                }
            }
        }
        return null;

        static long Utf8(string? text) => text is null ? 0 : System.Text.Encoding.UTF8.GetByteCount(text);
    }

    private static DeliveryPlan? TryPlan(AppriseXmppUrl url, IReadOnlyList<Notification> notifications)
    {
        try
        {
            return Plan(url, notifications);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        // Stryker disable once Block : an emptied catch returns default, which is this null
        {
            return null;
        }
    }

    /// <summary>
    /// The caps that the notifications alone decide, before any URL is read: a notification's own targets above
    /// <see cref="XmppNotifierOptions.MaxRecipientsPerNotification"/>, or more own targets in all than
    /// <see cref="XmppNotifierOptions.MaxRecipientsPerCall"/>. A caller that splits one invocation into several calls
    /// checks the whole invocation with this first, so that no part of it is sent. Returns the reason, or null.
    /// </summary>
    public static string? ExceedsRecipientLimits(IReadOnlyList<Notification> notifications, XmppNotifierOptions options)
    {
        ArgumentNullException.ThrowIfNull(notifications);
        ArgumentNullException.ThrowIfNull(options);
        long total = 0;
        for (var i = 0; i < notifications.Count; i++)
        {
            var own = notifications[i].Targets;
            // Stryker disable once Equality : an empty list counts no recipient either way
            if (own is not { Count: > 0 })
                continue;
            var count = own.SelectMany(AppriseXmppUrl.SplitTargetList).Distinct(StringComparer.OrdinalIgnoreCase).Count();
            if (count > options.MaxRecipientsPerNotification)
            {
                var first = own.SelectMany(AppriseXmppUrl.SplitTargetList).Distinct(StringComparer.OrdinalIgnoreCase).ElementAt(options.MaxRecipientsPerNotification);
                return $"notification {i + 1} names {count} recipients (the {options.MaxRecipientsPerNotification + 1}th is '{first}'); at most {options.MaxRecipientsPerNotification} are allowed per notification " +
                    "(maxRecipientsPerNotification); nothing was sent.";
            }
            total += count;
            if (total > options.MaxRecipientsPerCall)
            {
                return $"the notifications name {total} recipients or more in all; at most {options.MaxRecipientsPerCall} are allowed per invocation " +
                    "(host.json maxRecipientsPerInvocation, xmpp-notify --max-recipients); nothing was sent.";
            }
        }
        return null;
    }

    /// <summary>
    /// The first of the notifications' own targets that the URL's recipient policy (<c>recipients=</c>, else
    /// <see cref="XmppNotifierOptions.Recipients"/>) does not allow, as a refusal naming it; or null.
    /// </summary>
    private static string? OutsidePolicy(AppriseXmppUrl url, IReadOnlyList<Notification> notifications, XmppNotifierOptions options)
    {
        var policy = url.RecipientsGiven ? url.Recipients : options.Recipients ?? RecipientPolicy.Any;
        if (policy == RecipientPolicy.Any)
            return null;
        var own = url.Targets.Select(t => t.Jid.Bare).ToHashSet();
        foreach (var notification in notifications)
        {
            var targets = notification.Targets;
            // Stryker disable once Equality : an empty list resolves to no target either way
            if (targets is not { Count: > 0 })
                continue;
            foreach (var target in url.ResolveTargets(string.Join(",", targets), out _))
            {
                var allowed = policy == RecipientPolicy.Url
                    ? own.Contains(target.Jid.Bare)
                    : InDomain(target.Jid.Domain, url.LoginJid.Domain) || options.AllowedRecipientDomains.Any(d => InDomain(target.Jid.Domain, d));
                if (!allowed)
                {
                    var rule = policy == RecipientPolicy.Url
                        ? "recipients=url allows only the URL's own targets"
                        : $"recipients=domain allows only {url.LoginJid.Domain} and its subdomains" +
                          (options.AllowedRecipientDomains.Count > 0 ? $" and {string.Join(", ", options.AllowedRecipientDomains)}" : "") + " (allowedRecipientDomains)";
                    return $"the recipient '{target}' is not allowed: {rule}; nothing was sent.";
                }
            }
        }
        return null;

        // Stryker disable once Equality,Arithmetic : a domain one character longer than the allowed one and ending with it starts with the dot, which no JID domain does
        static bool InDomain(string domain, string allowed) =>
            string.Equals(domain, allowed, StringComparison.OrdinalIgnoreCase)
            || (domain.Length > allowed.Length + 1 && domain.EndsWith(allowed, StringComparison.OrdinalIgnoreCase) && domain[domain.Length - allowed.Length - 1] == '.');
    }

    /// <summary>Recipients of a plan, each counted once per notification however many parts its body was split into.</summary>
    private static int CountRecipients(DeliveryPlan plan) => plan.Messages.Count(m => m.Part == 0);

    /// <summary>What to send for one URL: every message for every target, plus the targets that could not be resolved.</summary>
    internal static DeliveryPlan Plan(AppriseXmppUrl url, IReadOnlyList<Notification> notifications)
    {
        var messages = new List<PlannedMessage>();
        var invalid = new List<TargetOutcome>();
        var usedIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var notification in notifications)
        {
            IReadOnlyList<XmppTarget> targets;
            if (notification.Targets is { Count: > 0 } overrides)
            {
                targets = url.ResolveTargets(string.Join(",", overrides), out var bad);
                invalid.AddRange(bad.Select(b => new TargetOutcome(b.Text, TargetStatus.Failed, NotifyFailureKind.Rejected, b.Reason)));
            }
            else
            {
                targets = url.Targets;
                invalid.AddRange(url.InvalidTargets.Select(b => new TargetOutcome(b.Text, TargetStatus.Failed, NotifyFailureKind.Rejected, b.Reason)));
            }
            var parts = MessageComposer.Compose(url, notification);
            var stanzas = 0;
            foreach (var target in targets)
            {
                for (var partIndex = 0; partIndex < parts.Count; partIndex++)
                {
                    var part = parts[partIndex];
                    stanzas++;
                    string? id = null;
                    if (notification.Id is not null)
                    {
                        // Stanza ids stay unique within a session: acknowledgements, bounces and receipts are matched by id.
                        for (var n = stanzas; !usedIds.Add(id = n == 1 ? notification.Id : $"{notification.Id}-{n}"); n++)
                        {
                        }
                    }
                    messages.Add(new PlannedMessage(target, part, target.Kind == XmppTargetKind.Groupchat ? MessageType.Groupchat : notification.Type)
                    {
                        Id = id,
                        ExtensionXml = notification.ExtensionXml,
                        Part = partIndex,
                    });
                }
            }
        }
        return new DeliveryPlan(messages, invalid.DistinctBy(i => i.Target).ToList());
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "XMPP delivery refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "XMPP URL {Url} is invalid: {Error}")]
    private static partial void LogInvalidUrl(ILogger logger, string url, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "XMPP delivery to {Url} acknowledged for {Count} target message(s)")]
    private static partial void LogDelivered(ILogger logger, string url, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "XMPP delivery to {Url} incomplete (optional: {Optional}): {Description}")]
    private static partial void LogFailed(ILogger logger, string url, bool optional, string description);
}

/// <summary>Settings of the notifier that an Apprise URL cannot express.</summary>
public sealed class XmppNotifierOptions
{
    /// <summary>Adjusts each connection's options after they were built from the URL: a private CA, a protocol logger.</summary>
    public Action<XmppClientOptions>? ConfigureClient { get; set; }

    /// <summary>XEP-0184 receipts for URLs that do not say <c>receipts=</c> themselves (the binding's option).</summary>
    public ReceiptMode? Receipts { get; set; }

    /// <summary>
    /// Most recipients a notification's own targets (<see cref="Notification.Targets"/>) may name; the URL's targets are
    /// the operator's and not counted here. More refuses the whole call before anything is sent.
    /// </summary>
    public int MaxRecipientsPerNotification { get; set; } = 50;

    /// <summary>
    /// Most recipients one call may deliver to, over every URL and notification (a recipient counts once per
    /// notification). More refuses the whole call before anything is sent.
    /// </summary>
    public int MaxRecipientsPerCall { get; set; } = 200;

    /// <summary>Most UTF-8 bytes of body, subject, XHTML-IM and extension text one call may send, over every stanza. More refuses the call.</summary>
    public long MaxStanzaBytesPerCall { get; set; } = 8L * 1024 * 1024;

    /// <summary>Where notifications' own targets may send for URLs that do not say <c>recipients=</c>; null: anywhere.</summary>
    public RecipientPolicy? Recipients { get; set; }

    /// <summary>Domains (and their subdomains) that <see cref="RecipientPolicy.Domain"/> allows besides the account's own.</summary>
    public IList<string> AllowedRecipientDomains { get; set; } = [];
}

internal sealed record PlannedMessage(XmppTarget Target, ComposedMessage Content, MessageType Type)
{
    public string? Id { get; init; }

    public string? ExtensionXml { get; init; }

    /// <summary>Which part of a split body this is (0 for the first or only one).</summary>
    public int Part { get; init; }
}

internal sealed record DeliveryPlan(IReadOnlyList<PlannedMessage> Messages, IReadOnlyList<TargetOutcome> InvalidTargets);

/// <summary>Turns a notification into the body (and optional subject and XHTML-IM) of one or more stanzas, as Apprise would.</summary>
internal static class MessageComposer
{
    public static IReadOnlyList<ComposedMessage> Compose(AppriseXmppUrl url, Notification notification)
    {
        // The message's own format wins; a text message takes the URL's format= as the format of its body.
        var format = notification.Format != NotifyFormat.Text ? notification.Format : url.Format;
        // What XML cannot carry (control characters, terminal colour codes) is removed before anything is rendered.
        var body = XmlSafeText.Clean(notification.Body);
        var rendered = format switch
        {
            NotifyFormat.Markdown => XhtmlIm.FromMarkdown(body),
            NotifyFormat.Html => XhtmlIm.FromHtml(body),
            _ => null,
        };
        var plain = rendered?.PlainText ?? body;
        var xhtml = rendered?.XhtmlBody;
        var title = string.IsNullOrWhiteSpace(notification.Title) ? null : XmlSafeText.Clean(notification.Title).Trim();
        string? subject = null;
        if (title is not null)
        {
            if (url.Subject)
            {
                subject = title;
            }
            else
            {
                // Apprise's subject=no: the title is the first line of the body.
                plain = title + "\r\n" + plain;
                if (xhtml is not null)
                    xhtml = "<p><strong>" + System.Security.SecurityElement.Escape(title) + "</strong></p>" + xhtml;
            }
        }
        if (plain.Length <= AppriseXmppUrl.MaxBodyLength)
            return [new ComposedMessage(subject, plain, xhtml)];
        return url.Overflow switch
        {
            OverflowMode.Truncate => [new ComposedMessage(subject, plain[..AppriseXmppUrl.MaxBodyLength], null)],
            OverflowMode.Split => Split(plain, AppriseXmppUrl.MaxBodyLength).Select((chunk, i) => new ComposedMessage(i == 0 ? subject : null, chunk, null)).ToList(),
            _ => [new ComposedMessage(subject, plain, xhtml)],
        };
    }

    /// <summary>Splits at the last line break (else space) before the limit, so chunks stay readable; never splits a surrogate pair.</summary>
    internal static IEnumerable<string> Split(string text, int limit)
    {
        var start = 0;
        while (text.Length - start > limit)
        {
            var window = text.AsSpan(start, limit);
            var cut = window.LastIndexOf('\n');
            if (cut < limit / 2)
                cut = window.LastIndexOf(' ');
            if (cut < limit / 2)
                cut = limit;
            else
                cut++;
            if (char.IsHighSurrogate(text[start + cut - 1]))
                cut--;
            yield return text.Substring(start, cut);
            start += cut;
        }
        if (start < text.Length)
            yield return text[start..];
    }
}

internal sealed record ComposedMessage(string? Subject, string Body, string? XhtmlBody);
