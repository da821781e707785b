using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

// ASP.NET Core integration: HTTP triggers take HttpRequest and return IActionResult, proxied through the host.
// Worker logs are forwarded to the host, which sends them to Application Insights with the host's own telemetry.
var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
await builder.Build().RunAsync().ConfigureAwait(false);
