using System.Diagnostics;
using Microsoft.Azure.WebJobs.Host;
using Microsoft.Azure.WebJobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xmpp.Client;
using Xmpp.Notifications;
using Xmpp.Notifications.Contracts;
using XmppNotify.Azure.WebJobs.Extensions.Xmpp;

namespace Xmpp.Bench;

/// <summary>
/// The [Xmpp] output binding in a real, warm JobHost: each invocation opens its own TLS + SCRAM session, sends,
/// waits for the server's acknowledgement and closes. Measured beside a bare client login to the same server.
/// </summary>
internal static class BindingSuite
{
    public static async Task RunAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        Console.WriteLine($"## binding: {settings.Iterations} sequential invocations (alternating with bare logins), then {settings.Concurrency} concurrent");
        var sequential = new Table("server", "measure", "n", "p50 ms", "p90 ms", "p99 ms", "max ms", "ok");
        var ratios = new Table("server", "p50 ratio invocation/login", "p99 ratio invocation/login", "goal");
        var concurrent = new Table("server", "invocations", "succeeded", "received", "wall ms", "p50 ms", "p99 ms", "max ms", "threads before/after/max", "max pending work items", "completed work items");
        foreach (var nagle in settings.NagleModes)
        {
            await using var server = await BenchServer.StartAsync(nagle);
            var prefix = "binding-bench ";
            await using var receiver = await server.StartReceiverAsync(prefix, cancellationToken);
            BenchFunctions.Body = prefix + "invocation";
            using var host = await StartHostAsync(server, cancellationToken);
            var jobHost = (JobHost)host.Services.GetRequiredService<IJobHost>();
            var method = typeof(BenchFunctions).GetMethod(nameof(BenchFunctions.Notify))!;
            var expected = 0;

            async Task<bool> InvokeAsync()
            {
                using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                limit.CancelAfter(TimeSpan.FromSeconds(90));
                try
                {
                    await jobHost.CallAsync(method, null, limit.Token);
                    return true;
                }
                catch (FunctionInvocationException e)
                {
                    Console.WriteLine($"  invocation failed: {Innermost(e).Message}");
                    return false;
                }
            }

            async Task LoginAsync()
            {
                await using var client = new XmppClient(server.Options("alice"));
                await client.LoginAsync(cancellationToken);
                await client.DisconnectAsync(cancellationToken);
            }

            for (var i = 0; i < settings.Warmup; i++)
            {
                await LoginAsync();
                if (await InvokeAsync())
                    expected++;
            }
            var logins = new Samples();
            var invocations = new Samples();
            var ok = 0;
            for (var i = 0; i < settings.Iterations; i++)
            {
                var started = Stopwatch.GetTimestamp();
                await LoginAsync();
                logins.Add(Stopwatch.GetElapsedTime(started));
                started = Stopwatch.GetTimestamp();
                if (await InvokeAsync())
                {
                    invocations.Add(Stopwatch.GetElapsedTime(started));
                    ok++;
                    expected++;
                }
            }
            var arrived = await receiver.WaitForCountAsync(expected, TimeSpan.FromSeconds(10), cancellationToken);
            sequential.Row(server.Label, "bare client login + close", logins.Count, logins.Median, logins.Percentile(90), logins.Percentile(99), logins.Max, "");
            sequential.Row(server.Label, "invocation (login, send, ack, close)", invocations.Count, invocations.Median, invocations.Percentile(90), invocations.Percentile(99), invocations.Max, $"{ok}/{settings.Iterations} succeeded, {arrived}/{expected} received");
            ratios.Row(server.Label, invocations.Median / logins.Median, invocations.Percentile(99) / logins.Percentile(99), "p50 <= 1.3");

            // Concurrent burst: every invocation starts at once on the thread pool, as a busy host would run them.
            var latencies = new Samples();
            var succeeded = 0;
            var threadsBefore = ThreadPool.ThreadCount;
            var completedBefore = ThreadPool.CompletedWorkItemCount;
            var maxThreads = threadsBefore;
            long maxPending = 0;
            using var sampling = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(5));
                try
                {
                    while (await timer.WaitForNextTickAsync(sampling.Token))
                    {
                        maxThreads = Math.Max(maxThreads, ThreadPool.ThreadCount);
                        maxPending = Math.Max(maxPending, ThreadPool.PendingWorkItemCount);
                    }
                }
                catch (OperationCanceledException)
                {
                    // Sampling ends with the burst.
                }
            }, CancellationToken.None);
            var cpu = new CpuMeter(server);
            var wall = Stopwatch.GetTimestamp();
            var burst = Enumerable.Range(0, settings.Concurrency).Select(_ => Task.Run(async () =>
            {
                var started = Stopwatch.GetTimestamp();
                var success = await InvokeAsync();
                return (success, Stopwatch.GetElapsedTime(started));
            }, cancellationToken)).ToArray();
            foreach (var (success, elapsed) in await Task.WhenAll(burst))
            {
                if (success)
                {
                    succeeded++;
                    latencies.Add(elapsed);
                }
            }
            var wallMs = Stopwatch.GetElapsedTime(wall).TotalMilliseconds;
            Console.WriteLine($"[{server.Label}] burst of {settings.Concurrency}: {cpu.Describe()} in {wallMs:0} ms wall (2 cores = {2 * wallMs:0} ms available; the receiver process is not counted)");
            await sampling.CancelAsync();
            await sampler;
            expected += succeeded;
            var burstArrived = await receiver.WaitForCountAsync(expected, TimeSpan.FromSeconds(30), cancellationToken) - arrived;
            concurrent.Row(server.Label, settings.Concurrency, succeeded, burstArrived, wallMs, latencies.Median, latencies.Percentile(99), latencies.Max,
                $"{threadsBefore}/{ThreadPool.ThreadCount}/{maxThreads}", maxPending, ThreadPool.CompletedWorkItemCount - completedBefore);
            await host.StopAsync(cancellationToken);
            Console.WriteLine($"[{server.Label}] {Memory.Describe()}");
        }
        Console.WriteLine();
        Console.WriteLine("### Sequential: invocation delivery vs bare login (each a new TLS + SCRAM session)");
        sequential.Print();
        Console.WriteLine();
        ratios.Print();
        Console.WriteLine();
        Console.WriteLine("### Concurrent burst (latency from each invocation's start; thread pool sampled every 5 ms)");
        concurrent.Print();
        Console.WriteLine();
        Console.WriteLine($"Process: {Memory.Describe()}");
    }

    private static async Task<IHost> StartHostAsync(BenchServer server, CancellationToken cancellationToken)
    {
        var ca = server.Server.CaCertificate;
        var host = new HostBuilder()
            .ConfigureAppConfiguration(c =>
            {
                c.Sources.Clear();
                c.AddInMemoryCollection(new Dictionary<string, string?> { ["XmppConnection"] = server.SenderUrl });
            })
            .ConfigureServices(s =>
            {
                // The deployed notifier, trusting the test CA (an Apprise URL cannot name one). Registered before AddXmpp, which keeps it.
                s.AddSingleton<IXmppNotifier>(services => new XmppNotifier(
                    services.GetRequiredService<ILoggerFactory>().CreateLogger<XmppNotifier>(),
                    new XmppNotifierOptions { ConfigureClient = o => o.TrustedRoots = [ca] }));
                s.AddSingleton<ITypeLocator>(new SingleTypeLocator(typeof(BenchFunctions)));
            })
            .ConfigureWebJobs(b => b.AddXmpp())
            .ConfigureLogging(l =>
            {
                l.ClearProviders();
                l.AddSimpleConsole();
                // Function start/finish lines would cost console I/O on every invocation, and a failure's stack trace is
                // logged four times over; the suite prints one line per failed invocation itself.
                l.SetMinimumLevel(LogLevel.Critical);
            })
            .Build();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(30));
        await host.StartAsync(limit.Token);
        return host;
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null)
            e = e.InnerException;
        return e;
    }

    private sealed class SingleTypeLocator(Type type) : ITypeLocator
    {
        public IReadOnlyList<Type> GetTypes() => [type];
    }
}

/// <summary>The function under test: one message to bob through the output binding.</summary>
public static class BenchFunctions
{
    public static string Body { get; set; } = "binding-bench";

    [NoAutomaticTrigger]
    public static void Notify([Xmpp(To = "bob")] out XmppMessage message) => message = new XmppMessage { Body = Body };
}
