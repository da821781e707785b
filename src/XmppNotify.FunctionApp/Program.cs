using Microsoft.Azure.Functions.Worker.Core.FunctionMetadata;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using XmppNotify.FunctionApp.Inbox;

// The built-in HTTP model (HttpRequestData/HttpResponseData), deliberately not ASP.NET Core integration
// (ConfigureFunctionsWebApplication): there the host proxies the request to the worker and the worker's response
// streams to the caller before the host flushes the XMPP output binding, so a failed delivery could still leave the
// caller with a 200. In the built-in model the HTTP response is itself an output binding that the host writes only
// after every other output binding flushed, and a flush failure becomes a 500 (see NotificationOutput).
// Worker logs are forwarded to the host, which sends them to Application Insights with the host's own telemetry.
var host = new HostBuilder()
    .ConfigureFunctionsWorkerDefaults()
    .ConfigureServices(services => services.AddSingleton<IFunctionMetadataTransformer, InboxSchedule>())
    .Build();
await host.RunAsync().ConfigureAwait(false);
