using XmppNotify.Azure.WebJobs.Extensions.Xmpp.Tests.Faults;

namespace Xmpp.Bench;

/// <summary>
/// The long fault campaign: invocations through a JobHost with the real binding while the server is killed and
/// restarted, connections are cut or stalled after the message went out, and Key Vault answers 503 or not at all.
/// Prints the accounting per fault (the short version runs in the default test suite).
/// </summary>
internal static class FaultSuite
{
    public static async Task<int> RunAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        var invocations = settings.Invocations ?? 1000;
        var campaign = new FaultCampaignSettings(invocations, Math.Min(settings.Concurrency, 50));
        Console.WriteLine($"## faults: {campaign.Invocations} invocations, {campaign.Concurrency} concurrent, one every {campaign.ArrivalInterval.TotalMilliseconds:0} ms;"
            + $" {campaign.CutShare:P0} through a proxy cutting every 2nd connection after the message, {campaign.StallShare:P0} through one stalling;"
            + $" server killed at {campaign.KillAt:P0} for {campaign.Downtime.TotalSeconds:0.#} s; Key Vault 503 {campaign.KeyVault503.From:P0}-{campaign.KeyVault503.To:P0},"
            + $" no answer {campaign.KeyVaultStall.From:P0}-{campaign.KeyVaultStall.To:P0}; URL retry={campaign.Retry} wait=1 rto={campaign.ResponseTimeoutSeconds}");
        var report = await FaultCampaign.RunAsync(campaign, line => Console.WriteLine("  " + line), cancellationToken);
        Console.WriteLine();
        Console.WriteLine(report.Describe());
        Console.WriteLine($"Process: {Memory.Describe()}");
        var sound = report.SilentlyLost.Count == 0 && report.FailedUntyped.Count == 0 && report.Leaks.Count == 0 && report.IdMismatches.Count == 0;
        Console.WriteLine(sound ? "Every invocation accounted for: delivered, or failed with a typed, redacted error." : "ACCOUNTING FAILED: see above.");
        return sound ? 0 : 1;
    }
}
