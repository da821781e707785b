using System.Net;
using Microsoft.Extensions.Logging;
using Xmpp.Notifications;
using Xmpp.Notifications.Apprise;
using Xmpp.Notifications.Contracts;

namespace XmppNotify.FunctionApp;

/// <summary>What <c>POST /api/message</c> answers: the status and a one-line text for the caller.</summary>
internal readonly record struct HttpMessageAnswer(HttpStatusCode Status, string Text);

/// <summary>
/// Sends the messages of one <c>POST /api/message</c> from the worker, over the caller's own account, and waits for the
/// server's acknowledgement before answering. The login happens here rather than in the output binding because only
/// here can its result still become the HTTP status: the binding flushes after the function returned, when a wrong
/// password could only surface as the host's 500. The account's URL holds the password, so it never leaves this
/// process: it is not logged, not put in a message, not handed to the host.
/// </summary>
internal static class HttpMessageSender
{
    /// <summary>
    /// Bound on one request's delivery, from connecting to the acknowledgement. The URL's own timeouts (4 s per
    /// connect and per read, no retry) end a stalled server much earlier; this is the backstop whatever it does.
    /// </summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Sends <paramref name="messages"/> over <paramref name="accountUrl"/> (the one-off URL of
    /// <see cref="Xmpp.Notifications.Contracts.Requests.HttpMessageAccount"/>) and answers: 200 once the server acknowledged every
    /// message; 401 when the server refused the credentials; 400 for a recipient that is not an address; 413 over the
    /// recipient and size caps; 504 when the server did not answer in time; 502 for every other failure of the server
    /// or the way to it. Nothing is sent unless every check before the connection passed.
    /// </summary>
    public static async Task<HttpMessageAnswer> SendAsync(
        string accountUrl, string bareJid, IReadOnlyList<XmppMessage> messages, ILogger logger, CancellationToken cancellationToken)
    {
        if (!AppriseXmppUrl.TryParse(accountUrl, out var url, out _) || url is null)
        {
            // The parser's message could quote the URL's user part; the caller knows what they sent.
            return new(HttpStatusCode.Unauthorized, "The Basic user name is not a valid XMPP address (user@domain).");
        }

        var notifications = new List<Notification>(messages.Count);
        foreach (var message in messages)
        {
            try
            {
                notifications.Add(NotificationFields.Create(message.To, message.Title, message.Body, message.Format, message.Type, message.Id, message.ExtensionXml));
            }
            catch (FormatException e)
            {
                return new(HttpStatusCode.BadRequest, e.Message);
            }

            _ = url.ResolveTargets(message.To ?? "", out var invalid);
            if (invalid.Count > 0)
            {
                return new(HttpStatusCode.BadRequest, $"The recipient '{invalid[0].Text}' is not an XMPP address: {invalid[0].Reason}.");
            }
        }

        var options = new XmppNotifierOptions();
        if (XmppNotifier.ExceedsLimits([accountUrl], notifications, options) is { } refusal)
        {
            return new(HttpStatusCode.RequestEntityTooLarge, "Refused: " + refusal);
        }

        NotifyResult result;
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            deadline.CancelAfter(Deadline);
            try
            {
                result = await new XmppNotifier(logger, options).NotifyAsync([accountUrl], notifications, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                return new(HttpStatusCode.GatewayTimeout, $"The XMPP server did not acknowledge the message within {Deadline.TotalSeconds:0} s; it may or may not have been delivered.");
            }
        }

        return Answer(result, bareJid);
    }

    /// <summary>The HTTP answer for a delivery's outcome, with the notifier's reasons (never the URL, which names the server the operator set).</summary>
    internal static HttpMessageAnswer Answer(NotifyResult result, string bareJid)
    {
        if (result.Success)
        {
            return new(HttpStatusCode.OK, $"Sent as {bareJid}.");
        }

        var failures = result.Urls.SelectMany(u => u.Targets.Select(t => t.Failure).Prepend(u.Failure)).Where(f => f != NotifyFailureKind.None).ToList();
        var description = string.Join("; ", result.Urls.Where(u => !u.Delivered).Select(u =>
            u.Error ?? string.Join("; ", u.Targets.Where(t => t.Status is not (TargetStatus.Delivered or TargetStatus.Skipped)).Select(t => $"{t.Target}: {t.Error ?? t.Status.ToString()}"))));
        if (failures.Contains(NotifyFailureKind.Authentication))
        {
            return new(HttpStatusCode.Unauthorized, $"The XMPP server refused the credentials of {bareJid}: {description}");
        }

        return failures.Contains(NotifyFailureKind.Timeout)
            ? new(HttpStatusCode.GatewayTimeout, $"The XMPP server did not answer in time, so not every message is known to be delivered: {description}")
            : new(HttpStatusCode.BadGateway, $"The XMPP server did not take every message: {description}");
    }
}
