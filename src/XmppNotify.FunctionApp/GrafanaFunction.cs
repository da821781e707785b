using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.Azure.Functions.Worker;
using Xmpp.Notifications.Contracts.Requests;

namespace XmppNotify.FunctionApp;

/// <summary><c>POST /api/alerts/grafana</c>: a Grafana alerting webhook (JSON whatever the Content-Type).</summary>
public static class GrafanaFunction
{
    [Function("Grafana")]
    public static Task<NotificationOutput> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "alerts/grafana")] HttpRequestData request,
        CancellationToken cancellationToken) =>
        NotificationOutput.FromRequestAsync(request, static (_, body) => GrafanaWebhook.Parse(body), cancellationToken);
}
