using Microsoft.Azure.WebJobs;
using Microsoft.Extensions.Logging;
using Xmpp.Notifications.Contracts;
using Xmpp.Notifications;
using Xmpp.Notifications.Apprise;
using XmppNotify.Azure.WebJobs.Extensions.Xmpp.KeyVault;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp.Bindings;

/// <summary>
/// Collects the messages of one invocation and delivers them all in <see cref="FlushAsync"/>, which the host calls when
/// the function returns: one <see cref="IXmppNotifier.NotifyAsync"/> call, so one connection per distinct URL.
/// A failed delivery throws <see cref="XmppDeliveryException"/>, failing the invocation.
/// </summary>
internal sealed partial class XmppMessageAsyncCollector : IAsyncCollector<XmppMessage>, IAsyncCollector<XmppMessageBatch>
{
    private readonly XmppAttribute _attribute;
    private readonly XmppOptions _options;
    private readonly string _settingName;
    private readonly Func<string, string?> _readSetting;
    private readonly XmppConnectionResolver _resolver;
    private readonly IXmppNotifier _notifier;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private List<Routed> _pending = [];

    /// <summary>A message and where it goes: the setting (the binding's, or a keyed configuration under it) and the tag.</summary>
    private sealed record Routed(Notification Notification, string SettingName, string? Tag);

    public XmppMessageAsyncCollector(
        XmppAttribute attribute,
        XmppOptions options,
        Func<string, string?> readSetting,
        XmppConnectionResolver resolver,
        IXmppNotifier notifier,
        ILogger logger)
    {
        _attribute = attribute;
        _options = options;
        _settingName = options.ConnectionSettingName(attribute);
        _readSetting = readSetting;
        _resolver = resolver;
        _notifier = notifier;
        _logger = logger;
    }

    public Task AddAsync(XmppMessage item, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(item);
        Enqueue([Route(item)]);
        return Task.CompletedTask;
    }

    Task IAsyncCollector<XmppMessageBatch>.AddAsync(XmppMessageBatch item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        Enqueue(item.Messages.Select(Route).ToList());
        return Task.CompletedTask;
    }

    /// <summary>
    /// A message's <see cref="XmppMessage.Key"/> selects the configuration <c>&lt;setting&gt;__&lt;key&gt;</c> (a child of
    /// the binding's setting, never another setting); its <see cref="XmppMessage.Tag"/> replaces the binding's.
    /// </summary>
    private Routed Route(XmppMessage message) => new(
        XmppMessageConversion.ToNotification(message, _attribute),
        string.IsNullOrEmpty(message.Key) ? _settingName : $"{_settingName}__{message.Key}",
        message.Tag ?? _attribute.Tag);

    /// <summary>App settings <c>A__b</c> are configuration keys <c>A:b</c> once the host has read the environment.</summary>
    private string? ReadSetting(string name) => _readSetting(name) ?? (name.Contains("__", StringComparison.Ordinal) ? _readSetting(name.Replace("__", ":", StringComparison.Ordinal)) : null);

    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        List<Routed> notifications;
        lock (_gate)
        {
            notifications = _pending;
            _pending = [];
        }

        if (notifications.Count == 0)
        {
            return;
        }

        // An invocation may be delivered in several calls (one per setting and tag): its own targets are capped as a
        // whole first, before any configuration is read.
        var limits = _options.NotifierOptions();
        if (XmppNotifier.ExceedsRecipientLimits(notifications.Select(n => n.Notification).ToList(), limits) is { } refusal)
        {
            LogRefused(_logger, refusal);
            throw new XmppDeliveryException($"XMPP delivery refused: {refusal}");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.DeliveryTimeout);
        try
        {
            // Each configuration and tag is one delivery; most invocations have exactly one. Every delivery's URLs are
            // read, and the recipient policy and caps checked over all of them, before the first is sent: a refusal
            // (or a missing setting) in a later delivery must not leave the earlier ones sent.
            var deliveries = new List<Delivery>();
            foreach (var group in notifications.GroupBy(n => (n.SettingName, n.Tag)))
            {
                deliveries.Add(await ResolveAsync(group.Key.SettingName, group.Key.Tag, group.Select(n => n.Notification).ToList(), timeout.Token).ConfigureAwait(false));
            }

            if (XmppNotifier.ExceedsLimits(deliveries.Select(d => d.ForLimits()).ToList(), limits) is { } refused)
            {
                LogRefused(_logger, refused);
                throw new XmppDeliveryException($"XMPP delivery refused: {refused}");
            }

            foreach (var delivery in deliveries)
            {
                await DeliverAsync(delivery, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new XmppDeliveryException(
                $"XMPP delivery did not finish within {_options.DeliveryTimeout.TotalSeconds:0.#} s (XmppOptions.DeliveryTimeout).");
        }
    }

    /// <summary>One delivery of an invocation: the URLs its setting and tag select (console sinks apart) and its messages.</summary>
    private sealed record Delivery(string SettingName, string? Tag, List<ResolvedXmppUrl> Urls, bool Console, List<Notification> Notifications)
    {
        public (IReadOnlyList<string> Urls, IReadOnlyList<Notification> Notifications) ForLimits() => (Urls.Select(u => u.Url).ToList(), Notifications);
    }

    private void Enqueue(List<Routed> notifications)
    {
        lock (_gate)
        {
            if (_pending.Count + notifications.Count > _options.MaxMessagesPerInvocation)
            {
                throw new InvalidOperationException(
                    $"An invocation produced more than {_options.MaxMessagesPerInvocation} XMPP messages (XmppOptions.MaxMessagesPerInvocation, " +
                    "host.json extensions:xmpp:maxMessagesPerInvocation); nothing was sent.");
            }

            _pending.AddRange(notifications);
        }
    }

    private async Task<Delivery> ResolveAsync(string settingName, string? tag, List<Notification> notifications, CancellationToken cancellationToken)
    {
        // Distinct, because the notifier reports one outcome per distinct URL and the rotation retry matches them by position.
        var resolved = Select(settingName, tag, await _resolver.ResolveAsync(settingName, ReadSetting(settingName), cancellationToken).ConfigureAwait(false));
        var console = resolved.RemoveAll(u => ConsoleSink.Is(u.Url)) > 0;
        return new Delivery(settingName, tag, resolved, console, notifications);
    }

    private async Task DeliverAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        var (settingName, tag, resolved, console, notifications) = delivery;
        if (console)
        {
            foreach (var notification in notifications)
            {
                LogConsoleSink(_logger, settingName, ConsoleSink.Describe(notification));
            }

            if (resolved.Count == 0)
            {
                return;
            }
        }

        var urls = resolved.Select(u => u.Url).ToList();
        var result = await _notifier.NotifyAsync(urls, notifications, cancellationToken).ConfigureAwait(false);

        if (!result.Success)
        {
            result = await RetryAfterRotationAsync(settingName, tag, resolved, result, notifications, cancellationToken).ConfigureAwait(false);
        }

        if (!result.Success)
        {
            LogDeliveryFailed(_logger, notifications.Count, settingName, result.Describe());
            throw new XmppDeliveryException(result);
        }

        LogDelivered(_logger, notifications.Count, urls.Count, settingName);
    }

    /// <summary>
    /// An authentication failure on a URL read from Key Vault may mean the password was rotated after we cached the
    /// secret: read the secret again and retry, once, only the URLs that failed that way and have changed.
    /// </summary>
    private async Task<NotifyResult> RetryAfterRotationAsync(
        string settingName, string? tag, List<ResolvedXmppUrl> resolved, NotifyResult result, List<Notification> notifications, CancellationToken cancellationToken)
    {
        // The notifier reports one outcome per URL, in order; without that correspondence we cannot tell which URL failed.
        if (result.Urls.Count != resolved.Count)
        {
            return result;
        }

        var failed = Enumerable.Range(0, resolved.Count)
            .Where(i => result.Urls[i].Failure == NotifyFailureKind.Authentication && resolved[i].SecretUri is not null && !result.Urls[i].Optional)
            .ToList();
        if (failed.Count == 0)
        {
            return result;
        }

        foreach (var secretUri in failed.Select(i => resolved[i].SecretUri!).Distinct())
        {
            _resolver.Invalidate(secretUri);
        }

        var reread = Select(settingName, tag, await _resolver.ResolveAsync(settingName, ReadSetting(settingName), cancellationToken).ConfigureAwait(false));
        var previous = resolved.Select(u => u.Url).ToHashSet(StringComparer.Ordinal);
        List<int> retryIndexes;
        List<string> retryUrls;
        if (reread.Count == resolved.Count)
        {
            retryIndexes = failed.Where(i => !string.Equals(reread[i].Url, resolved[i].Url, StringComparison.Ordinal)).ToList();
            retryUrls = retryIndexes.Select(i => reread[i].Url).ToList();
        }
        else
        {
            // The secret changed shape: retry whatever is new in it in place of the URLs that failed to authenticate.
            retryIndexes = failed;
            retryUrls = reread.Where(u => u.SecretUri is not null && !previous.Contains(u.Url)).Select(u => u.Url).ToList();
        }

        if (retryUrls.Count == 0)
        {
            LogNoRotation(_logger, settingName);
            return result;
        }

        LogRetryingAfterRotation(_logger, retryUrls.Count, settingName);
        var retry = await _notifier.NotifyAsync(retryUrls, notifications, cancellationToken).ConfigureAwait(false);
        var replaced = retryIndexes.ToHashSet();
        var merged = result.Urls.Where((_, i) => !replaced.Contains(i)).Concat(retry.Urls).ToList();
        return new NotifyResult(merged);
    }

    /// <summary>The URLs the attribute's Apprise tag selects, each once; none selected is an error, not a silent success.</summary>
    private static List<ResolvedXmppUrl> Select(string settingName, string? tag, IReadOnlyList<ResolvedXmppUrl> urls)
    {
        AppriseTagFilter filter;
        try
        {
            filter = AppriseTagFilter.FromOptions(string.IsNullOrWhiteSpace(tag) ? [] : [tag]);
        }
        catch (ArgumentException e)
        {
            throw new XmppConnectionException($"The Tag of the XMPP binding or message is not valid: {e.Message}", e);
        }

        var selected = urls.Where(u => filter.Matches(u.Tags)).DistinctBy(u => u.Url, StringComparer.Ordinal).ToList();
        if (selected.Count == 0 && urls.Count > 0)
        {
            throw new XmppConnectionException(filter.IsUntagged
                ? $"Every URL of the XMPP connection setting '{settingName}' has an Apprise tag and neither the binding nor the message names one; set Tag (\"all\" selects every URL)."
                : $"No URL of the XMPP connection setting '{settingName}' carries the tag(s) {filter}; nothing was sent.");
        }

        return selected;
    }

    [LoggerMessage(1, LogLevel.Information, "Delivered {MessageCount} XMPP message(s) to {UrlCount} URL(s) of setting '{SettingName}'.")]
    private static partial void LogDelivered(ILogger logger, int messageCount, int urlCount, string settingName);

    [LoggerMessage(2, LogLevel.Error, "XMPP delivery of {MessageCount} message(s) for setting '{SettingName}' failed:\n{Outcome}")]
    private static partial void LogDeliveryFailed(ILogger logger, int messageCount, string settingName, string outcome);

    [LoggerMessage(3, LogLevel.Warning, "Authentication failed for {UrlCount} URL(s) from Key Vault in setting '{SettingName}'; the secret was read again and has changed: retrying those once.")]
    private static partial void LogRetryingAfterRotation(ILogger logger, int urlCount, string settingName);

    [LoggerMessage(5, LogLevel.Information, "XMPP console sink (setting '{SettingName}'), not sent:\n{Message}")]
    private static partial void LogConsoleSink(ILogger logger, string settingName, string message);

    [LoggerMessage(6, LogLevel.Error, "XMPP delivery refused before anything was sent: {Reason}")]
    private static partial void LogRefused(ILogger logger, string reason);

    [LoggerMessage(4, LogLevel.Warning, "Authentication failed for URL(s) from Key Vault in setting '{SettingName}'; the secret was read again but has not changed.")]
    private static partial void LogNoRotation(ILogger logger, string settingName);
}
