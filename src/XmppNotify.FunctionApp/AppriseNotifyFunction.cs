using System.Net;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.Azure.Functions.Worker;
using Xmpp.Notifications.Contracts.Requests;

namespace XmppNotify.FunctionApp;

/// <summary>
/// <c>POST /api/notify/{key}</c>: the Apprise API's stateful notify route, so that Apprise (<c>apprise://host/api/KEY</c>)
/// and tools built on the Apprise API notify over XMPP. The key selects the configuration in the app setting
/// <c>XmppConnection__{key}</c>; the payload's tags select URLs in it (<see cref="AppriseApiNotify"/>). 200 with the
/// API's "Notification(s) sent." once the server acknowledged every message; 204 when no configuration is stored under
/// the key; 400 with the reason for a bad key or payload; 413 for an oversized body; 500 when delivery failed or no URL
/// carries the tags (the host's answer to a failed flush; the Apprise API says 424 there).
/// </summary>
public static class AppriseNotifyFunction
{
    [Function("AppriseNotify")]
    public static async Task<NotificationOutput> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "notify/{key}")] HttpRequestData request,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = await RequestBody.ReadAsync(request, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return new NotificationOutput
            {
                Response = await NotificationOutput.TextAsync(request, HttpStatusCode.RequestEntityTooLarge, $"The body exceeds the limit of {RequestBody.MaxBytes:N0} bytes.", cancellationToken).ConfigureAwait(false),
            };
        }

        // The route value is read from the URL so that it does not depend on how the host hands over trigger metadata.
        var key = AppriseApiNotify.KeyFromPath(request.Url.AbsolutePath);
        var (message, answer) = AppriseApiNotify.Parse(key, RequestBody.ContentType(request), body.Value, Environment.GetEnvironmentVariable);
        if (answer is { Status: HttpStatusCode.NoContent })
        {
            // A 204 carries no body (the host's server refuses one); the reason goes to the log the host keeps.
            return new NotificationOutput { Response = request.CreateResponse(HttpStatusCode.NoContent) };
        }

        if (answer is not null)
        {
            return new NotificationOutput
            {
                Response = await NotificationOutput.TextAsync(request, answer.Status, answer.Text, cancellationToken).ConfigureAwait(false),
            };
        }

        return new NotificationOutput
        {
            Messages = [message!],
            Response = await NotificationOutput.TextAsync(request, HttpStatusCode.OK, AppriseApiNotify.Sent, cancellationToken).ConfigureAwait(false),
        };
    }
}
