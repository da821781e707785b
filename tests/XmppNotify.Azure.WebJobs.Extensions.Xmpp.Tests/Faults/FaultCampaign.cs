using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.Azure.WebJobs;
using Microsoft.Azure.WebJobs.Host;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xmpp.Client;
using Xmpp.Notifications;
using Xmpp.Notifications.Contracts;
using Xmpp.TestServers;
using XmppNotify.Azure.WebJobs.Extensions.Xmpp.KeyVault;
using XmppNotify.Azure.WebJobs.Extensions.Xmpp.Tests.Extension;
using XmppNotify.Azure.WebJobs.Extensions.Xmpp.Tests.KeyVault;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp.Tests.Faults;

/// <summary>How big a fault campaign is and which faults it injects.</summary>
public sealed record FaultCampaignSettings(int Invocations, int Concurrency)
{
    public int Seed { get; init; } = 13;

    /// <summary>Invocations arrive this far apart (at most <see cref="Concurrency"/> in flight), so that faults meet a steady stream rather than one burst.</summary>
    public TimeSpan ArrivalInterval { get; init; } = TimeSpan.FromMilliseconds(15);

    /// <summary>Share of invocations routed through the proxy that cuts every other connection after the message went out.</summary>
    public double CutShare { get; init; } = 0.10;

    /// <summary>Share of invocations routed through the proxy that stalls every other connection after the message went out.</summary>
    public double StallShare { get; init; } = 0.05;

    /// <summary>Kill Prosody (SIGKILL) when this share of invocations has started, and start it again after <see cref="Downtime"/>.</summary>
    public double KillAt { get; init; } = 0.35;

    public TimeSpan Downtime { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Key Vault answers 503 from this share of started invocations to the next window.</summary>
    public (double From, double To) KeyVault503 { get; init; } = (0.55, 0.65);

    /// <summary>Key Vault never answers in this window.</summary>
    public (double From, double To) KeyVaultStall { get; init; } = (0.75, 0.80);

    /// <summary>A Key Vault outage lasts at least this long, several cache lifetimes, so that reads meet it.</summary>
    public TimeSpan MinimumOutage { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The Apprise URL's retry= (re-sends what was not acknowledged) and rto= (seconds).</summary>
    public int Retry { get; init; } = 2;

    public int ResponseTimeoutSeconds { get; init; } = 3;

    /// <summary>Padding that makes the message the one large TLS record the proxies recognise.</summary>
    public int BodyBytes { get; init; } = 3000;
}

/// <summary>What happened to one invocation, and what the independent receiver saw of it.</summary>
public sealed record CampaignInvocation(int Index, string Route, bool Succeeded, string? ErrorType, string? Kinds, string? Error, long StartMs, long EndMs)
{
    public int Copies { get; set; }

    public IReadOnlyList<string> StanzaIds { get; set; } = [];

    public IReadOnlyList<string?> OriginIds { get; set; } = [];

    /// <summary>The faults whose time window this invocation overlapped, plus its route's proxy fault.</summary>
    public List<string> Faults { get; } = [];
}

/// <summary>The accounting of a campaign: every invocation delivered or failed typed, duplicates counted per fault.</summary>
public sealed class FaultCampaignReport
{
    public required FaultCampaignSettings Settings { get; init; }

    public required IReadOnlyList<CampaignInvocation> Invocations { get; init; }

    public required TimeSpan Wall { get; init; }

    public required int ProxyCuts { get; init; }

    public required int ProxyStalls { get; init; }

    public required int KeyVaultFaulted { get; init; }

    public required int ServerKills { get; init; }

    public required long PeakWorkingSetBytes { get; init; }

    /// <summary>Places where the password showed up: error messages, exception text, host logs. Must stay empty.</summary>
    public required IReadOnlyList<string> Leaks { get; init; }

    /// <summary>Messages the receiver got that belong to no invocation of this run.</summary>
    public required int Strays { get; init; }

    public int Delivered => Invocations.Count(i => i.Succeeded && i.Copies > 0);

    /// <summary>Succeeded, yet the receiver never got it. Must be zero.</summary>
    public IReadOnlyList<CampaignInvocation> SilentlyLost => Invocations.Where(i => i.Succeeded && i.Copies == 0).ToList();

    public IReadOnlyList<CampaignInvocation> Failed => Invocations.Where(i => !i.Succeeded).ToList();

    /// <summary>Failed with something other than the binding's typed, redacted errors. Must be zero.</summary>
    public IReadOnlyList<CampaignInvocation> FailedUntyped => Failed.Where(i => i.ErrorType is not (nameof(XmppDeliveryException) or nameof(XmppConnectionException))).ToList();

    /// <summary>Failed invocations whose message arrived anyway (the ack was lost): a queue redelivery would send it again.</summary>
    public int FailedButArrived => Failed.Count(i => i.Copies > 0);

    /// <summary>Copies beyond the first, over all invocations.</summary>
    public int Duplicates => Invocations.Sum(i => Math.Max(0, i.Copies - 1));

    /// <summary>Invocations whose copies did not all carry one stanza id and a matching origin-id. Must be zero.</summary>
    public IReadOnlyList<CampaignInvocation> IdMismatches => Invocations
        .Where(i => i.Copies > 0 && (i.StanzaIds.Distinct().Count() != 1 || i.OriginIds.Any(o => o != i.StanzaIds[0])))
        .ToList();

    public string Describe()
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"invocations {Invocations.Count}, concurrency {Settings.Concurrency}, wall {Wall.TotalSeconds:0.0} s, peak working set {PeakWorkingSetBytes / 1048576.0:0} MiB");
        text.AppendLine(c, $"faults injected: proxy cuts {ProxyCuts}, proxy stalls {ProxyStalls}, server kills {ServerKills}, Key Vault requests failed {KeyVaultFaulted}");
        text.AppendLine(c, $"delivered {Delivered}, failed {Failed.Count} (typed {Failed.Count - FailedUntyped.Count}, untyped {FailedUntyped.Count}), silently lost {SilentlyLost.Count}");
        text.AppendLine(c, $"failed but arrived (ack lost) {FailedButArrived}, duplicate copies {Duplicates}, id mismatches {IdMismatches.Count}, password leaks {Leaks.Count}, stray messages {Strays}");
        text.AppendLine("| fault | invocations | delivered | failed | failed by kind | failed but arrived | duplicate copies |");
        text.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var fault in Invocations.SelectMany(i => i.Faults.DefaultIfEmpty("none")).Distinct().Order(StringComparer.Ordinal))
        {
            var hit = Invocations.Where(i => fault == "none" ? i.Faults.Count == 0 : i.Faults.Contains(fault)).ToList();
            var kinds = string.Join(", ", hit.Where(i => !i.Succeeded).GroupBy(i => i.Kinds ?? i.ErrorType ?? "?").OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}"));
            text.AppendLine(c, $"| {fault} | {hit.Count} | {hit.Count(i => i.Succeeded && i.Copies > 0)} | {hit.Count(i => !i.Succeeded)} | {(kinds.Length == 0 ? "-" : kinds)} | {hit.Count(i => !i.Succeeded && i.Copies > 0)} | {hit.Sum(i => Math.Max(0, i.Copies - 1))} |");
        }
        foreach (var lost in SilentlyLost.Take(5))
            text.AppendLine(c, $"SILENTLY LOST #{lost.Index} via {lost.Route} [{string.Join(",", lost.Faults)}]");
        foreach (var untyped in FailedUntyped.DistinctBy(u => u.Error).Take(5))
            text.AppendLine(c, $"UNTYPED #{untyped.Index}: {untyped.ErrorType}: {untyped.Error}");
        return text.ToString();
    }
}

/// <summary>
/// Invocations through a real JobHost with the real extension and notifier, against a private Prosody, while faults are
/// injected: proxies that cut or stall a connection after the message went out, the server killed and restarted, Key
/// Vault (the local contract endpoint) answering 503 or not at all. A separate session (bob) receives, reconnecting
/// after the server restart; every invocation is then accounted for.
/// </summary>
public static class FaultCampaign
{
    private const string BodyMarker = "fault-campaign";

    /// <summary>The binding's typed error in the chain (it may wrap the SDK's), else the innermost exception.</summary>
    private static Exception Typed(Exception e)
    {
        for (var current = e; current is not null; current = current.InnerException)
        {
            if (current is XmppDeliveryException or XmppConnectionException)
                return current;
        }
        while (e.InnerException is not null)
            e = e.InnerException;
        return e;
    }

    public static async Task<FaultCampaignReport> RunAsync(FaultCampaignSettings settings, Action<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var run = Convert.ToHexString(RandomNumberGenerator.GetBytes(4));
        var password = "Fc-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(9)) + "/%:@";
        var bobPassword = "pw-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        await using var server = await ProsodyServer.StartAsync(ct: cancellationToken);
        await server.RegisterAsync("alice", password, cancellationToken);
        await server.RegisterAsync("bob", bobPassword, cancellationToken);
        await using var cut = FaultProxy.Start(server.Host, server.C2sPort, n => n % 2 == 0 ? ProxyFault.CutAfterMessage : ProxyFault.None, settings.BodyBytes * 2 / 3);
        await using var stall = FaultProxy.Start(server.Host, server.C2sPort, n => n % 2 == 0 ? ProxyFault.StallAfterMessage : ProxyFault.None, settings.BodyBytes * 2 / 3);
        await using var vault = await FakeKeyVault.StartAsync();
        string Url(int port) => $"xmpps://alice:{Uri.EscapeDataString(password)}@{server.Domain}:{port}/bob?xmpp={server.Host}"
            + $"&retry={settings.Retry}&wait=1&rto={settings.ResponseTimeoutSeconds}&cto=10";
        vault.SetSecret("direct", Url(server.C2sPort));
        vault.SetSecret("cut", Url(cut.Port));
        vault.SetSecret("stall", Url(stall.Port));

        await using var receiver = await CampaignReceiver.StartAsync(server, "bob", bobPassword, $"{BodyMarker} {run} #", cancellationToken);
        var logs = new CapturingLoggerProvider();
        var clientOptions = vault.ClientOptions();
        clientOptions.Retry.NetworkTimeout = TimeSpan.FromSeconds(2);
        await using var host = await JobHostRunner.StartAsync(
            typeof(FaultCampaignFunctions),
            new Dictionary<string, string?>
            {
                ["Campaign:direct"] = vault.SecretUri("direct").ToString(),
                ["Campaign:cut"] = vault.SecretUri("cut").ToString(),
                ["Campaign:stall"] = vault.SecretUri("stall").ToString(),
            },
            notifier: null,
            configure: o =>
            {
                o.KeyVaultCredential = new FixedTokenCredential();
                o.KeyVaultClientOptions = clientOptions;
                o.SecretCacheTtl = TimeSpan.FromMilliseconds(200); // read often, so the vault's outages are felt
                o.KeyVaultTimeout = TimeSpan.FromSeconds(3);
            },
            services: s => s.AddSingleton(new XmppNotifierOptions { ConfigureClient = o => o.TrustedRoots = [server.CaCertificate] }),
            logs: logs);
        var method = typeof(FaultCampaignFunctions).GetMethod(nameof(FaultCampaignFunctions.Notify))!;

        var random = new Random(settings.Seed);
        var routes = Enumerable.Range(0, settings.Invocations).Select(_ =>
        {
            var r = random.NextDouble();
            return r < settings.CutShare ? "cut" : r < settings.CutShare + settings.StallShare ? "stall" : "direct";
        }).ToArray();
        var padding = new string('x', settings.BodyBytes);
        var records = new CampaignInvocation?[settings.Invocations];
        var windows = new ConcurrentBag<(string Fault, long From, long To)>();
        var leaks = new ConcurrentBag<string>();
        var clock = Stopwatch.StartNew();
        var started = 0;
        var kills = 0;
        var gate = new SemaphoreSlim(settings.Concurrency);
        int At(double share) => (int)(share * settings.Invocations);

        // Faults in time: each one starts when a given number of invocations has started.
        var faults = new List<Task>
        {
            FaultWindowAsync(At(settings.KillAt), async () =>
            {
                var from = clock.ElapsedMilliseconds;
                await server.KillAsync(cancellationToken);
                Interlocked.Increment(ref kills);
                progress?.Invoke($"server killed after {Volatile.Read(ref started)} invocations started");
                await Task.Delay(settings.Downtime, cancellationToken);
                await server.StartAgainAsync(cancellationToken);
                windows.Add(("server killed and restarted", from, clock.ElapsedMilliseconds));
                progress?.Invoke($"server restarted after {clock.ElapsedMilliseconds - from} ms");
            }),
            FaultWindowAsync(At(settings.KeyVault503.From), async () =>
            {
                var from = clock.ElapsedMilliseconds;
                vault.Fault = KeyVaultFault.ServiceUnavailable;
                await Task.WhenAll(WaitStartedAsync(At(settings.KeyVault503.To)), Task.Delay(settings.MinimumOutage, cancellationToken));
                vault.Fault = KeyVaultFault.None;
                windows.Add(("Key Vault 503", from, clock.ElapsedMilliseconds));
            }),
            FaultWindowAsync(At(settings.KeyVaultStall.From), async () =>
            {
                var from = clock.ElapsedMilliseconds;
                vault.Fault = KeyVaultFault.Stall;
                await Task.WhenAll(WaitStartedAsync(At(settings.KeyVaultStall.To)), Task.Delay(settings.MinimumOutage, cancellationToken));
                vault.Fault = KeyVaultFault.None;
                windows.Add(("Key Vault timeout", from, clock.ElapsedMilliseconds));
            }),
        };

        async Task WaitStartedAsync(int count)
        {
            while (Volatile.Read(ref started) < Math.Min(count, settings.Invocations) && !cancellationToken.IsCancellationRequested)
                await Task.Delay(20, cancellationToken);
        }

        async Task FaultWindowAsync(int startAt, Func<Task> fault)
        {
            if (startAt >= settings.Invocations)
                return;
            await WaitStartedAsync(startAt);
            await fault();
        }

        async Task InvokeAsync(int index)
        {
            var route = routes[index];
            var body = $"{BodyMarker} {run} #{index.ToString(CultureInfo.InvariantCulture)} {padding}";
            var start = clock.ElapsedMilliseconds;
            try
            {
                using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                limit.CancelAfter(TimeSpan.FromSeconds(120));
                await host.JobHost.CallAsync(method, new Dictionary<string, object?> { ["connection"] = "Campaign:" + route, ["body"] = body }, limit.Token);
                records[index] = new CampaignInvocation(index, route, true, null, null, null, start, clock.ElapsedMilliseconds);
            }
            catch (Exception e) when (e is FunctionInvocationException or OperationCanceledException)
            {
                var inner = Typed(e);
                var kinds = inner switch
                {
                    XmppDeliveryException { Result: { } result } => string.Join("+", result.Urls.SelectMany(u => u.Targets.Select(t => t.Failure).Append(u.Failure))
                        .Where(k => k != NotifyFailureKind.None).Distinct().Select(k => k.ToString())),
                    XmppDeliveryException => "DeliveryTimeout",
                    XmppConnectionException => "KeyVault",
                    _ => null,
                };
                if (inner.ToString().Contains(password, StringComparison.Ordinal) || inner.ToString().Contains(Uri.EscapeDataString(password), StringComparison.Ordinal))
                    leaks.Add($"#{index}: {inner.GetType().Name}");
                var error = inner is XmppDeliveryException or XmppConnectionException ? inner.Message : e.ToString();
                records[index] = new CampaignInvocation(index, route, false, inner.GetType().Name, kinds, error, start, clock.ElapsedMilliseconds);
            }
        }

        var invocations = new List<Task>(settings.Invocations);
        for (var i = 0; i < settings.Invocations; i++)
        {
            var due = (long)(i * settings.ArrivalInterval.TotalMilliseconds) - clock.ElapsedMilliseconds;
            if (due > 0)
                await Task.Delay(TimeSpan.FromMilliseconds(due), cancellationToken);
            await gate.WaitAsync(cancellationToken);
            Interlocked.Increment(ref started);
            var index = i;
            invocations.Add(Task.Run(async () =>
            {
                try
                {
                    await InvokeAsync(index);
                }
                finally
                {
                    gate.Release();
                }
            }, CancellationToken.None));
            if ((i + 1) % Math.Max(1, settings.Invocations / 10) == 0)
                progress?.Invoke($"{i + 1} started, {invocations.Count(t => t.IsCompleted)} finished, {receiver.Count} received");
        }
        await Task.WhenAll(invocations);
        await Task.WhenAll(faults);
        var wall = clock.Elapsed;

        // Let what is still on its way (offline storage after the restart, late copies) arrive.
        var expected = records.Count(r => r!.Succeeded);
        await receiver.SettleAsync(expected, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(3), cancellationToken);
        var stray = 0;
        foreach (var (index, copies) in receiver.Snapshot())
        {
            if (index < 0 || index >= records.Length)
            {
                stray += copies.Count;
                continue;
            }
            var record = records[index]!;
            record.Copies = copies.Count;
            record.StanzaIds = copies.Select(m => m.Id ?? "").ToList();
            record.OriginIds = copies.Select(m => m.OriginId).ToList();
        }
        foreach (var record in records)
        {
            if (record!.Route != "direct")
                record.Faults.Add(record.Route == "cut" ? "proxy cuts after the message (every 2nd connection)" : "proxy stalls after the message (every 2nd connection)");
            foreach (var (fault, from, to) in windows)
            {
                if (record.StartMs <= to && record.EndMs >= from)
                    record.Faults.Add(fault);
            }
        }
        var logText = logs.AllText;
        if (logText.Contains(password, StringComparison.Ordinal) || logText.Contains(Uri.EscapeDataString(password), StringComparison.Ordinal))
            leaks.Add("host logs");
        foreach (var record in records)
        {
            if (record!.Error is { } error && (error.Contains(password, StringComparison.Ordinal) || error.Contains(Uri.EscapeDataString(password), StringComparison.Ordinal)))
                leaks.Add($"#{record.Index} error message");
        }
        using var self = Process.GetCurrentProcess();
        return new FaultCampaignReport
        {
            Settings = settings,
            Invocations = records!,
            Wall = wall,
            ProxyCuts = cut.Cuts,
            ProxyStalls = stall.Stalls,
            KeyVaultFaulted = vault.Faulted,
            ServerKills = kills,
            PeakWorkingSetBytes = self.PeakWorkingSet64,
            Leaks = leaks.ToList(),
            Strays = stray,
        };
    }
}

/// <summary>The function the campaign invokes: one message through the binding, to the URL(s) of the given setting.</summary>
public static class FaultCampaignFunctions
{
    [NoAutomaticTrigger]
    public static async Task Notify(string connection, string body, IBinder binder)
    {
        ArgumentNullException.ThrowIfNull(binder);
        var collector = await binder.BindAsync<IAsyncCollector<XmppMessage>>(new XmppAttribute { Connection = connection });
        await collector.AddAsync(new XmppMessage { Body = body });
    }
}

/// <summary>A received copy of a campaign message.</summary>
public sealed record ReceivedCopy(string? Id, string? OriginId, bool Delayed);

/// <summary>
/// The independent receiving session (bob), connected straight to the server, logging in again after a server
/// restart (offline storage hands over what arrived meanwhile). Groups copies by the invocation index in the body.
/// </summary>
public sealed class CampaignReceiver : IAsyncDisposable
{
    private readonly ConcurrentDictionary<int, List<ReceivedCopy>> _copies = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly IXmppTestServer _server;
    private readonly string _user;
    private readonly string _password;
    private readonly string _prefix;
    private Task _loop = Task.CompletedTask;
    private int _count;
    private long _lastArrival = Stopwatch.GetTimestamp();

    private CampaignReceiver(IXmppTestServer server, string user, string password, string prefix)
    {
        _server = server;
        _user = user;
        _password = password;
        _prefix = prefix;
    }

    public int Count => Volatile.Read(ref _count);

    public static async Task<CampaignReceiver> StartAsync(IXmppTestServer server, string user, string password, string prefix, CancellationToken cancellationToken)
    {
        var receiver = new CampaignReceiver(server, user, password, prefix);
        var first = await server.ReceiverAsync(user, password);
        receiver._loop = receiver.LoopAsync(first);
        await Task.Yield();
        cancellationToken.ThrowIfCancellationRequested();
        return receiver;
    }

    private async Task LoopAsync(XmppClient? client)
    {
        while (!_stop.IsCancellationRequested)
        {
            if (client is null)
            {
                try
                {
                    client = await _server.ReceiverAsync(_user, _password);
                }
                catch (Exception e) when (e is XmppException or IOException or OperationCanceledException or TimeoutException)
                {
                    await Task.Delay(200, CancellationToken.None);
                    continue;
                }
            }
            try
            {
                await foreach (var message in client.Messages.ReadAllAsync(_stop.Token))
                    Record(message);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The session ended (server killed, stream cut, or stop): log in again unless stopping.
            }
            await client.DisposeAsync();
            client = null;
        }
    }

    private void Record(ReceivedMessage message)
    {
        if (message.Body is not { } body || !body.StartsWith(_prefix, StringComparison.Ordinal))
            return;
        var end = body.IndexOf(' ', _prefix.Length);
        if (!int.TryParse(body.AsSpan(_prefix.Length, (end < 0 ? body.Length : end) - _prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            index = -1;
        string? origin = null;
        try
        {
            origin = XElement.Parse(message.Xml).Elements(XName.Get("origin-id", "urn:xmpp:sid:0")).FirstOrDefault()?.Attribute("id")?.Value;
        }
        catch (System.Xml.XmlException)
        {
        }
        var list = _copies.GetOrAdd(index, _ => []);
        lock (list)
            list.Add(new ReceivedCopy(message.Id, origin, message.IsDelayed));
        Interlocked.Increment(ref _count);
        Interlocked.Exchange(ref _lastArrival, Stopwatch.GetTimestamp());
    }

    /// <summary>Waits until copies of at least <paramref name="expected"/> distinct messages arrived and nothing came for <paramref name="quiet"/>, or <paramref name="limit"/>.</summary>
    public async Task SettleAsync(int expected, TimeSpan limit, TimeSpan quiet, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(limit.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            var sinceLast = Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastArrival));
            if (_copies.Count >= expected && sinceLast >= quiet)
                return;
            await Task.Delay(100, cancellationToken);
        }
    }

    public IReadOnlyList<(int Index, IReadOnlyList<ReceivedCopy> Copies)> Snapshot()
    {
        var result = new List<(int Index, IReadOnlyList<ReceivedCopy> Copies)>();
        foreach (var (index, copies) in _copies)
        {
            lock (copies)
                result.Add((index, copies.ToList()));
        }
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop.WaitAsync(TimeSpan.FromSeconds(15));
        _stop.Dispose();
    }
}
