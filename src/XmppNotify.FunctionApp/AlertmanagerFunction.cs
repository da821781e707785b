using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.Azure.Functions.Worker;
using Xmpp.Notifications.Contracts.Requests;

namespace XmppNotify.FunctionApp;

/// <summary><c>POST /api/alerts/alertmanager</c>: a Prometheus Alertmanager webhook (JSON whatever the Content-Type).</summary>
public static class AlertmanagerFunction
{
    [Function("Alertmanager")]
    public static Task<NotificationOutput> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "alerts/alertmanager")] HttpRequestData request,
        CancellationToken cancellationToken) =>
        NotificationOutput.FromRequestAsync(request, static (_, body) => AlertmanagerWebhook.Parse(body), cancellationToken);
}
