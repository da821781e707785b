using Xunit.Abstractions;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp.Tests.Faults;

/// <summary>
/// The short version of the fault campaign (the long one is <c>XmppBench faults</c>): invocations through the real
/// binding while connections are cut and stalled after the message went out, the server is killed and restarted, and
/// Key Vault fails. Every invocation must be delivered or fail with a typed, redacted error; copies of one message
/// must share one stanza id and origin-id.
/// </summary>
public sealed class FaultCampaignTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Every_invocation_is_delivered_or_fails_typed_under_injected_faults()
    {
        // Shares raised so that a short run still meets every fault several times.
        var settings = new FaultCampaignSettings(Invocations: 100, Concurrency: 50)
        {
            CutShare = 0.2,
            StallShare = 0.1,
            ArrivalInterval = TimeSpan.FromMilliseconds(40),
        };
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(5));

        var report = await FaultCampaign.RunAsync(settings, output.WriteLine, limit.Token);
        output.WriteLine(report.Describe());

        Assert.Equal(settings.Invocations, report.Invocations.Count);
        Assert.Empty(report.SilentlyLost);
        Assert.Empty(report.FailedUntyped);
        Assert.Empty(report.Leaks);
        Assert.Empty(report.IdMismatches);
        Assert.Equal(0, report.Strays);
        // The faults really happened.
        Assert.Equal(1, report.ServerKills);
        Assert.True(report.ProxyCuts > 0, "no connection was cut");
        Assert.True(report.ProxyStalls > 0, "no connection was stalled");
        Assert.True(report.KeyVaultFaulted > 0, "Key Vault never failed a request");
        // A cut after the message went out loses the ack, not the message (a retry re-sends it under the same id,
        // which IdMismatches checks; how many copies that makes depends on timing and is reported, not asserted).
        Assert.Contains(report.Invocations, i => i.Route == "cut" && i.Copies > 0);
        Assert.All(report.Invocations.Where(i => i.Succeeded), i => Assert.True(i.Copies >= 1));
    }
}
