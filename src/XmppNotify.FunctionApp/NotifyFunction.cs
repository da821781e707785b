using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.Azure.Functions.Worker;
using Xmpp.Notifications.Contracts.Requests;
using Xmpp.Notifications.Contracts;

namespace XmppNotify.FunctionApp;

/// <summary>
/// <c>POST /api/notify</c>: a notification as JSON (one <c>XmppMessage</c> or an array), plain text or an XMPP stanza,
/// chosen by Content-Type. 200 once delivered, 400 with the reason for a payload that cannot be read, 500 when delivery
/// failed (see <see cref="NotificationOutput"/>).
/// </summary>
public static class NotifyFunction
{
    [Function("Notify")]
    public static Task<NotificationOutput> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "notify")] HttpRequestData request,
        CancellationToken cancellationToken) =>
        NotificationOutput.FromRequestAsync(request, NotificationRequestParser.Parse, cancellationToken);
}
