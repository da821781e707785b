using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xmpp.Client;
using XmppNotify.FunctionApp.Tests.HostProtocol;

namespace XmppNotify.FunctionApp.Tests;

/// <summary>
/// <c>POST /api/notify/{key}</c>, the Apprise API's notify route, through the host protocol: the stored configuration
/// <c>XmppConnection__ops_team</c> (carol tagged ops and db, bob tagged dev) and the payload's tags decide who gets the
/// message, checked by separate sessions; and Debian's <c>apprise</c> client sending an <c>apprise://</c> URL with the
/// function key as a header, through a loopback HTTP front door that hands the request to the harness as the host would.
/// </summary>
[Collection(FunctionAppDefinition.Name)]
public sealed class AppriseApiEndpointTests(FunctionAppFixture app)
{
    private const string Route = "/api/notify/" + FunctionAppFixture.AppriseKey;

    private static readonly string[] AppriseLocations = ["/usr/bin/apprise", "/usr/local/bin/apprise"];

    private Task<HttpExchange> PostAsync(string path, string contentType, string body, OutputBindingHost? outputs = null) =>
        app.Host.SendHttpAsync("AppriseNotify", HarnessHttpRequest.Post(path, contentType, body), outputs ?? app.Outputs);

    private static void AssertSent(HttpExchange exchange)
    {
        Assert.True(exchange.Response.StatusCode == HttpStatusCode.OK, exchange.Response.ToString());
        Assert.Equal("Notification(s) sent.", exchange.Response.BodyText);
    }

    [Fact]
    public async Task Json_with_an_all_of_tag_reaches_exactly_the_url_carrying_both_tags()
    {
        await using var carol = await app.Xmpp.IndependentReceiverAsync("carol");
        await using var bob = await app.Xmpp.ReceiverAsync("bob");
        var marker = Guid.NewGuid().ToString("N");
        AssertSent(await PostAsync(Route, "application/json", $$"""{"title":"Disk","body":"{{marker}}","type":"warning","tag":"ops db"}"""));
        var received = await carol.WaitForMessageAsync(m => m.Body?.Contains(marker, StringComparison.Ordinal) == true, TimeSpan.FromSeconds(10));
        Assert.StartsWith("[WARNING] Disk", received.Body, StringComparison.Ordinal);

        // A form with tag=dev goes to bob; bob's first message being that one proves the first never reached him.
        var second = Guid.NewGuid().ToString("N");
        AssertSent(await PostAsync(Route, "application/x-www-form-urlencoded", $"body={second}&tag=dev%2C+nosuchtag"));
        Assert.Equal(second, (await bob.WaitForAsync(_ => true)).Body);
    }

    [Fact]
    public async Task An_unknown_key_is_204_and_nothing_is_sent()
    {
        var exchange = await PostAsync("/api/notify/no-such-key", "application/json", """{"body":"x","tag":"all"}""");
        Assert.Equal(HttpStatusCode.NoContent, exchange.Response.StatusCode);
        Assert.Null(FunctionsHostHarness.OutputValue(exchange.Invocation, "Messages"));
    }

    [Theory]
    [InlineData("application/json", """{"title":"no body","tag":"ops"}""", "body")]
    [InlineData("application/json", """{"body":"x","type":"critical"}""", "type")]
    [InlineData("text/plain", "just text", "Content-Type")]
    public async Task A_bad_payload_is_400_with_the_reason_and_nothing_is_sent(string contentType, string body, string reason)
    {
        var exchange = await PostAsync(Route, contentType, body);
        Assert.True(exchange.Response.StatusCode == HttpStatusCode.BadRequest, exchange.Response.ToString());
        Assert.Contains(reason, exchange.Response.BodyText, StringComparison.Ordinal);
        Assert.Null(FunctionsHostHarness.OutputValue(exchange.Invocation, "Messages"));
    }

    [Fact]
    public async Task No_url_carrying_the_tag_fails_the_invocation_with_500_and_sends_nothing()
    {
        await using var bob = await app.Xmpp.ReceiverAsync("bob");
        var exchange = await PostAsync(Route, "application/json", $$"""{"body":"{{Guid.NewGuid():N}}","tag":"nosuchtag"}""");
        Assert.Equal(HttpStatusCode.InternalServerError, exchange.Response.StatusCode);
        Assert.Contains("nosuchtag", exchange.Result.FlushException!.ToString(), StringComparison.Ordinal);

        // Untagged: every URL of this configuration has a tag, so nothing may be sent either.
        exchange = await PostAsync(Route, "application/json", """{"body":"untagged"}""");
        Assert.Equal(HttpStatusCode.InternalServerError, exchange.Response.StatusCode);

        var marker = Guid.NewGuid().ToString("N");
        AssertSent(await PostAsync(Route, "application/json", $$"""{"body":"{{marker}}","tag":"dev"}"""));
        Assert.Equal(marker, (await bob.WaitForAsync(_ => true)).Body);
    }

    [Fact]
    public async Task A_delivery_failure_is_500_never_200()
    {
        var exchange = await PostAsync(Route, "application/json", """{"body":"x","tag":"dev"}""", app.WrongPasswordOutputs);
        Assert.False(exchange.Result.Succeeded);
        Assert.Contains("auth", HttpEndpointTests.DeliveryFailure(exchange.Result.FlushException).Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.InternalServerError, exchange.Response.StatusCode);
        Assert.DoesNotContain(app.WrongPassword, exchange.Result.FlushException!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_apprise_client_notifies_through_an_apprise_url_with_the_function_key_header()
    {
        var apprise = AppriseLocations.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("The apprise client is not installed; scripts/install-test-deps.sh installs Debian's apprise package.");
        var functionKey = "k-" + Guid.NewGuid().ToString("N");
        await using var frontDoor = await FrontDoor.StartAsync(app, functionKey);
        await using var carol = await app.Xmpp.IndependentReceiverAsync("carol");
        await using var bob = await app.Xmpp.ReceiverAsync("bob");

        var marker = Guid.NewGuid().ToString("N");
        var url = $"apprise://127.0.0.1:{frontDoor.Port}/api/{FunctionAppFixture.AppriseKey}?tags=ops&+x-functions-key={functionKey}";
        var (exit, output) = await RunAsync(apprise, "-vv", "-t", "Backup", "-b", marker, url);
        Assert.True(exit == 0, $"apprise exited {exit}:\n{output}");
        var received = await carol.WaitForMessageAsync(m => m.Body?.Contains(marker, StringComparison.Ordinal) == true, TimeSpan.FromSeconds(10));
        Assert.StartsWith("Backup", received.Body, StringComparison.Ordinal);
        var request = Assert.Single(frontDoor.Requests);
        Assert.Equal("/api/notify/" + FunctionAppFixture.AppriseKey, request.PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, request.Status);

        // A wrong key is refused by the front door as the host refuses it, and apprise reports the failure.
        (exit, output) = await RunAsync(apprise, "-b", "refused", url.Replace(functionKey, "wrong", StringComparison.Ordinal));
        Assert.NotEqual(0, exit);
        Assert.Equal(HttpStatusCode.Unauthorized, frontDoor.Requests[^1].Status);

        // An unknown configuration key: the API's 204, which apprise counts as a failure, and nothing is sent.
        (exit, output) = await RunAsync(apprise, "-b", "nowhere", url.Replace("/api/" + FunctionAppFixture.AppriseKey, "/api/no-such-key", StringComparison.Ordinal));
        Assert.NotEqual(0, exit);
        Assert.Equal(HttpStatusCode.NoContent, frontDoor.Requests[^1].Status);

        // Apprise's tags=dev goes to bob only; his first message being this one shows the others did not reach him.
        var second = Guid.NewGuid().ToString("N");
        (exit, output) = await RunAsync(apprise, "-b", second, url.Replace("tags=ops", "tags=dev", StringComparison.Ordinal));
        Assert.True(exit == 0, $"apprise exited {exit}:\n{output}");
        Assert.Equal(second, (await bob.WaitForAsync(_ => true)).Body);
        Assert.DoesNotContain(app.Xmpp.Password("alice"), app.Host.WorkerConsole, StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Output)> RunAsync(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish within 60 s.");
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>
    /// The host's HTTP front end, reduced to what this route needs: Kestrel on loopback, the function key checked from
    /// the <c>x-functions-key</c> header (401 otherwise, as for AuthorizationLevel.Function), the route matched, and the
    /// request handed to the harness as RpcHttp; the harness's answer (after the xmpp flush) is written back.
    /// </summary>
    private sealed class FrontDoor : IAsyncDisposable
    {
        private readonly WebApplication _web;

        private FrontDoor(WebApplication web, int port)
        {
            _web = web;
            Port = port;
        }

        public int Port { get; }

        public List<(string PathAndQuery, HttpStatusCode Status)> Requests { get; } = [];

        public static async Task<FrontDoor> StartAsync(FunctionAppFixture app, string functionKey)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var web = builder.Build();
            FrontDoor? door = null;
            web.Run(async context =>
            {
                var path = context.Request.Path.Value + context.Request.QueryString.Value;
                HttpStatusCode status;
                byte[] body = [];
                if (!string.Equals(context.Request.Headers["x-functions-key"], functionKey, StringComparison.Ordinal))
                {
                    status = HttpStatusCode.Unauthorized;
                }
                else if (!context.Request.Path.StartsWithSegments("/api/notify", StringComparison.OrdinalIgnoreCase) || context.Request.Method != "POST")
                {
                    status = HttpStatusCode.NotFound;
                }
                else
                {
                    using var buffer = new MemoryStream();
                    await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
                    var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
                    var exchange = await app.Host.SendHttpAsync("AppriseNotify", new HarnessHttpRequest(context.Request.Method, path, headers, buffer.ToArray()), app.Outputs, context.RequestAborted);
                    status = exchange.Response.StatusCode;
                    body = status == HttpStatusCode.NoContent ? [] : exchange.Response.Body;
                }

                lock (door!.Requests)
                {
                    door.Requests.Add((path, status));
                }

                context.Response.StatusCode = (int)status;
                if (body.Length > 0)
                {
                    context.Response.ContentType = "text/plain; charset=utf-8";
                    await context.Response.Body.WriteAsync(body, context.RequestAborted);
                }
            });
            await web.StartAsync();
            var address = web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            door = new FrontDoor(web, new Uri(address).Port);
            return door;
        }

        public async ValueTask DisposeAsync()
        {
            await _web.StopAsync();
            await _web.DisposeAsync();
        }
    }
}
