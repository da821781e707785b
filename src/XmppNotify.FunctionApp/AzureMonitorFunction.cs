using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.Azure.Functions.Worker;
using Xmpp.Notifications.Contracts.Requests;

namespace XmppNotify.FunctionApp;

/// <summary><c>POST /api/alerts/azuremonitor</c>: an Azure Monitor action-group webhook in the common alert schema (JSON whatever the Content-Type).</summary>
public static class AzureMonitorFunction
{
    [Function("AzureMonitor")]
    public static Task<NotificationOutput> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "alerts/azuremonitor")] HttpRequestData request,
        CancellationToken cancellationToken) =>
        NotificationOutput.FromRequestAsync(request, static (_, body) => AzureMonitorAlert.Parse(body), cancellationToken);
}
