using System.Text;
using Microsoft.Azure.WebJobs.Host;
using Microsoft.Azure.WebJobs;
using Microsoft.Extensions.DependencyInjection;
using Xmpp.Notifications.Tests.Notifier;
using Xmpp.Notifications;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp.Tests.Extension;

/// <summary>A JobHost with the binding as deployed (real XmppNotifier) delivering to a real Prosody.</summary>
public sealed class EndToEndDeliveryTests(NotifierFixture fixture) : IClassFixture<NotifierFixture>
{
    private Task<JobHostRunner> StartAsync(string connection) => JobHostRunner.StartAsync(
        typeof(Functions),
        new Dictionary<string, string?> { ["XmppConnection"] = connection },
        notifier: null,
        services: s => s.AddSingleton(new XmppNotifierOptions { ConfigureClient = o => o.TrustedRoots = [fixture.Server.CaCertificate] }));

    [Fact]
    public async Task Host_default_collector_bytes_are_delivered_to_the_recipient()
    {
        await using var receiver = await fixture.ReceiverAsync("bob");
        await using var host = await StartAsync(fixture.Url("alice"));
        string marker = Guid.NewGuid().ToString("N");

        await host.CallAsync(typeof(Functions), nameof(Functions.WorkerOutput), new { marker });

        var message = await receiver.WaitForAsync(m => m.Body?.Contains(marker, StringComparison.Ordinal) == true);
        Assert.Equal($"alice@{fixture.Domain}", message.From?.Bare.ToString());
        // XML parsing normalises the \r\n Apprise puts between title and body to \n.
        Assert.Equal($"Disk\n{marker}", message.Body);
        Assert.DoesNotContain(fixture.Password("alice"), host.Logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain(Uri.EscapeDataString(fixture.Password("alice")), host.Logs.AllText, StringComparison.Ordinal);
        // The notifier's metrics reach the host's logging as WebJobs metrics (Application Insights customMetrics).
        Assert.Contains(host.Logs.Entries, e => e.Contains(XmppNotificationsTelemetry.DeliveredCounter, StringComparison.Ordinal) && e.Contains("server.address=127.0.0.1", StringComparison.Ordinal));
        Assert.Contains(host.Logs.Entries, e => e.Contains(XmppNotificationsTelemetry.DurationHistogram, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Wrong_password_fails_the_invocation_without_printing_it()
    {
        const string wrong = "Wr0ng-E2E-pass";
        await using var host = await StartAsync(fixture.Url("alice", password: wrong));

        var e = await Assert.ThrowsAsync<FunctionInvocationException>(
            () => host.CallAsync(typeof(Functions), nameof(Functions.WorkerOutput), new { marker = "x" }));

        var delivery = Assert.IsType<XmppDeliveryException>(BindingShapeTests.Innermost(e));
        Assert.Equal(NotifyFailureKind.Authentication, Assert.Single(delivery.Result!.Urls).Failure);
        Assert.DoesNotContain(wrong, e.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, host.Logs.AllText, StringComparison.Ordinal);
        Assert.Contains(host.Logs.Entries, e => e.Contains(XmppNotificationsTelemetry.FailedCounter, StringComparison.Ordinal) && e.Contains("error.type=authentication", StringComparison.Ordinal));
    }

    public static class Functions
    {
        // Shaped like the isolated worker's output as the Functions host hands it over: PascalCase JSON bytes.
        [NoAutomaticTrigger]
        public static async Task WorkerOutput(string marker, IBinder binder)
        {
            var collector = await binder.BindAsync<IAsyncCollector<byte[]>>(new XmppAttribute());
            await collector.AddAsync(Encoding.UTF8.GetBytes($$"""{"To":"bob","Title":"Disk","Body":"{{marker}}","Format":null,"Type":null}"""));
        }
    }
}
