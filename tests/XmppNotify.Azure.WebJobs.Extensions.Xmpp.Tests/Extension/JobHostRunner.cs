using System.Reflection;
using Microsoft.Azure.WebJobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xmpp.Notifications;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp.Tests.Extension;

/// <summary>A real WebJobs JobHost with the XMPP extension, an explicit set of function classes and in-memory settings.</summary>
public sealed class JobHostRunner : IAsyncDisposable
{
    private JobHostRunner(IHost host, CapturingLoggerProvider logs)
    {
        Host = host;
        Logs = logs;
    }

    public IHost Host { get; }

    public CapturingLoggerProvider Logs { get; }

    public JobHost JobHost => (JobHost)Host.Services.GetRequiredService<IJobHost>();

    public static async Task<JobHostRunner> StartAsync(
        Type functions,
        IDictionary<string, string?> settings,
        IXmppNotifier? notifier,
        Action<XmppOptions>? configure = null,
        Action<IServiceCollection>? services = null,
        CapturingLoggerProvider? logs = null)
    {
        logs ??= new CapturingLoggerProvider();
        var host = new HostBuilder()
            .ConfigureAppConfiguration(c =>
            {
                c.Sources.Clear();
                c.AddInMemoryCollection(settings);
            })
            .ConfigureServices(s =>
            {
                // Registered before AddXmpp, whose TryAdd then keeps these; without one, the real XmppNotifier.
                if (notifier is not null)
                {
                    s.AddSingleton(notifier);
                }

                s.AddSingleton<ITypeLocator>(new ExplicitTypeLocator(functions));
                services?.Invoke(s);
            })
            .ConfigureWebJobs(b => b.AddXmpp(configure))
            .ConfigureLogging(l =>
            {
                l.ClearProviders();
                l.SetMinimumLevel(LogLevel.Trace);
                l.AddProvider(logs);
            })
            .Build();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await host.StartAsync(timeout.Token);
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return new JobHostRunner(host, logs);
    }

    public async Task CallAsync(Type functions, string method, object? arguments = null)
    {
        var info = functions.GetMethod(method, BindingFlags.Public | BindingFlags.Static)
            ?? throw new ArgumentException($"No method {method} on {functions.Name}");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await JobHost.CallAsync(info, arguments, timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await Host.StopAsync(timeout.Token);
        Host.Dispose();
    }

    private sealed class ExplicitTypeLocator(params Type[] types) : ITypeLocator
    {
        public IReadOnlyList<Type> GetTypes() => types;
    }
}
