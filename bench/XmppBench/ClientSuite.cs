using System.Diagnostics;
using Xmpp.Client;

namespace Xmpp.Bench;

/// <summary>The client alone: a new connection per message, a bare login, and 10,000 messages in one session.</summary>
internal static class ClientSuite
{
    public static async Task RunAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        Console.WriteLine($"## client: {settings.Iterations} iterations after {settings.Warmup} warm-up, {settings.Messages} messages in one session");
        var latency = new Table("server", "measure", "n", "median ms", "p90 ms", "p99 ms", "min ms", "max ms", "ok");
        var throughput = new Table("server", "mode", "messages", "acked", "received", "seconds", "msg/s", "alloc B/msg");
        var phaseTable = new Table(["phase", .. settings.NagleModes.Select(n => n ? "stock median ms" : "nodelay median ms")]);
        var phaseColumns = new List<double[]>();
        foreach (var nagle in settings.NagleModes)
        {
            await using var server = await BenchServer.StartAsync(nagle);
            var prefix = "client-bench ";
            await using var receiver = await server.StartReceiverAsync(prefix, cancellationToken);
            var expected = 0;

            var login = await MeasureAsync(settings, async () =>
            {
                await using var client = new XmppClient(server.Options("alice"));
                await client.LoginAsync(cancellationToken);
                await client.DisconnectAsync(cancellationToken);
                return true;
            });
            latency.Row(server.Label, "bare login + close", login.Samples.Count, login.Samples.Median, login.Samples.Percentile(90), login.Samples.Percentile(99), login.Samples.Min, login.Samples.Max, $"{login.Ok}/{login.Total}");

            var bob = server.Jid("bob");
            var loginPart = new Samples();
            var ackPart = new Samples();
            var closePart = new Samples();
            var sendCpu = new CpuMeter(server);
            var send = await MeasureAsync(settings, async () =>
            {
                var started = Stopwatch.GetTimestamp();
                await using var client = new XmppClient(server.Options("alice"));
                await client.LoginAsync(cancellationToken);
                var loggedIn = Stopwatch.GetTimestamp();
                await client.SendMessageAsync(new OutgoingMessage(bob, prefix + "one per connection"), cancellationToken);
                var delivery = await client.WaitForDeliveryAsync(cancellationToken);
                var acked = Stopwatch.GetTimestamp();
                var report = await client.DisconnectAsync(cancellationToken);
                var closed = Stopwatch.GetTimestamp();
                loginPart.Add(Stopwatch.GetElapsedTime(started, loggedIn));
                ackPart.Add(Stopwatch.GetElapsedTime(loggedIn, acked));
                closePart.Add(Stopwatch.GetElapsedTime(acked, closed));
                expected++;
                return delivery.AllDelivered && report.Acknowledged.Count == 1;
            });
            Console.WriteLine($"[{server.Label}] {settings.Warmup + settings.Iterations} connect -> ack -> close sessions: {sendCpu.Describe()}");
            var arrived = await receiver.WaitForCountAsync(expected, TimeSpan.FromSeconds(10), cancellationToken);
            latency.Row(server.Label, "connect -> ack -> close", send.Samples.Count, send.Samples.Median, send.Samples.Percentile(90), send.Samples.Percentile(99), send.Samples.Min, send.Samples.Max, $"{send.Ok}/{send.Total} acked, {arrived}/{expected} received");
            latency.Row(server.Label, "  of which login", loginPart.Count, loginPart.Median, loginPart.Percentile(90), loginPart.Percentile(99), loginPart.Min, loginPart.Max, "");
            latency.Row(server.Label, "  of which send -> ack", ackPart.Count, ackPart.Median, ackPart.Percentile(90), ackPart.Percentile(99), ackPart.Min, ackPart.Max, "");
            latency.Row(server.Label, "  of which close", closePart.Count, closePart.Median, closePart.Percentile(90), closePart.Percentile(99), closePart.Min, closePart.Max, "");

            // The same sessions again with a timestamping protocol logger, kept apart so the figures above carry no logging cost.
            var phases = PhaseLogger.PhaseNames.Select(_ => new Samples()).ToArray();
            for (var i = 0; i < Math.Min(settings.Iterations, 30); i++)
            {
                var logger = new PhaseLogger();
                await using var client = new XmppClient(server.Options("alice", logger));
                await client.LoginAsync(cancellationToken);
                var loggedIn = Stopwatch.GetTimestamp();
                await client.SendMessageAsync(new OutgoingMessage(bob, prefix + "phases"), cancellationToken);
                await client.WaitForDeliveryAsync(cancellationToken);
                await client.DisconnectAsync(cancellationToken);
                var values = logger.Phases(loggedIn, Stopwatch.GetTimestamp());
                for (var p = 0; p < values.Length; p++)
                {
                    if (!double.IsNaN(values[p]))
                        phases[p].AddMilliseconds(values[p]);
                }
                expected++;
            }
            phaseColumns.Add(phases.Select(s => s.Median).ToArray());

            foreach (var batch in new[] { 0, 500 })
            {
                var (row, sent) = await ThroughputAsync(server, receiver, prefix, settings.Messages, batch, expected, cancellationToken);
                expected += sent;
                throughput.Row(row);
            }
            Console.WriteLine($"[{server.Label}] {Memory.Describe()}");
        }
        for (var p = 0; p < PhaseLogger.PhaseNames.Length; p++)
            phaseTable.Row([PhaseLogger.PhaseNames[p], .. phaseColumns.Select(c => (object?)c[p])]);

        Console.WriteLine();
        Console.WriteLine("### New connection per message (login = TCP + STARTTLS + SCRAM + bind + SM enable)");
        latency.Print();
        Console.WriteLine();
        Console.WriteLine("### Phases of one connect -> ack -> close (protocol log timestamps, up to 30 sessions)");
        phaseTable.Print();
        Console.WriteLine();
        Console.WriteLine("### Throughput in one session (receiver in a separate process counts arrivals)");
        throughput.Print();
        Console.WriteLine();
        Console.WriteLine($"Process: {Memory.Describe()}");
    }

    private static async Task<(object?[] Row, int Sent)> ThroughputAsync(BenchServer server, ReceiverProcess receiver, string prefix, int count, int ackEvery, int receivedBefore, CancellationToken cancellationToken)
    {
        await using var client = new XmppClient(server.Options("alice"));
        await client.LoginAsync(cancellationToken);
        var bob = server.Jid("bob");
        var bodies = Enumerable.Range(0, count).Select(i => $"{prefix}{i}").ToArray();
        GC.Collect();
        var cpu = new CpuMeter(server);
        var allocatedBefore = GC.GetTotalAllocatedBytes(true);
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            await client.SendMessageAsync(new OutgoingMessage(bob, bodies[i]), cancellationToken);
            if (ackEvery > 0 && (i + 1) % ackEvery == 0)
                await client.WaitForDeliveryAsync(cancellationToken);
        }
        var report = await client.WaitForDeliveryAsync(cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var allocated = GC.GetTotalAllocatedBytes(true) - allocatedBefore;
        Console.WriteLine($"[{server.Label}] {count} messages, ack wait every {(ackEvery == 0 ? count : ackEvery)}: {cpu.Describe()} in {elapsed.TotalMilliseconds:0} ms wall");
        await client.DisconnectAsync(cancellationToken);
        var arrived = await receiver.WaitForCountAsync(receivedBefore + count, TimeSpan.FromSeconds(60), cancellationToken) - receivedBefore;
        var mode = ackEvery == 0 ? "send all, then one ack wait" : $"ack wait every {ackEvery}";
        return ([server.Label, mode, count, report.Acknowledged.Count, arrived, elapsed.TotalSeconds, count / elapsed.TotalSeconds, (double)allocated / count], count);
    }

    private static async Task<(Samples Samples, int Ok, int Total)> MeasureAsync(BenchSettings settings, Func<Task<bool>> iteration)
    {
        for (var i = 0; i < settings.Warmup; i++)
            await iteration();
        var samples = new Samples();
        var ok = 0;
        for (var i = 0; i < settings.Iterations; i++)
        {
            var started = Stopwatch.GetTimestamp();
            bool success;
            try
            {
                success = await iteration();
            }
            catch (XmppException e)
            {
                Console.WriteLine($"  iteration {i} failed: {e.Message}");
                success = false;
            }
            if (success)
            {
                samples.Add(Stopwatch.GetElapsedTime(started));
                ok++;
            }
        }
        return (samples, ok, settings.Iterations);
    }
}
