using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Xmpp.TestServers;

namespace Xmpp.Bench;

/// <summary>
/// Cold single sends over an emulated wide-area link (<c>tools/latency-link/link.sh</c>: namespace <c>xlat</c>, server
/// side 10.200.0.1, client side 10.200.0.2): the published xmpp-notify against go-sendxmpp, STARTTLS and direct TLS,
/// stock Prosody 0.12 (Nagle on) and ejabberd. Every send is checked by an independent receiver on the server side.
/// Round trips are counted from a packet capture on the server end of the link (see <see cref="CountRoundTrips"/>),
/// the same way for both senders. Needs root; the link is removed at the end.
/// </summary>
internal static class RttSuite
{
    public const string WarmSenderMode = "__warm-sender";
    private const string NoFastVariable = "XMPPBENCH_NO_FAST";
    private const string ServerAddress = "10.200.0.1";
    private const string ClientAddress = "10.200.0.2";

    public static async Task<int> RunAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        var link = FindLinkScript();
        var rttMs = settings.RttMs;
        Console.WriteLine($"## rtt: {settings.RttRuns} cold sends per sender, mode and server over an emulated {rttMs} ms round-trip link, alternating, after 1 warm-up each");
        var notify = settings.NotifyPath ?? await CliSuite.PublishNotifyAsync(cancellationToken);
        var sendxmpp = CliSuite.FindOnPath("go-sendxmpp") ?? throw new InvalidOperationException("go-sendxmpp is not on PATH.");
        Console.WriteLine($"xmpp-notify: {notify}; go-sendxmpp: {sendxmpp}; link: {link}");

        if ((await RunAsync(link, ["up", rttMs.ToString(CultureInfo.InvariantCulture)], cancellationToken)).ExitCode != 0)
            throw new InvalidOperationException("link.sh up failed (is another link up? `link.sh down` removes it).");
        var table = new Table("server", "mode", "sender", "ok", "failed", "median ms", "min ms", "max ms", "round trips (median)", "ratio to go-sendxmpp");
        try
        {
            var device = await LinkDeviceAsync(cancellationToken);
            await using var capture = await PacketCapture.StartAsync(device, cancellationToken);
            foreach (var serverKind in settings.RttServers)
            {
                await using var server = await RttServer.StartAsync(serverKind, cancellationToken);
                const string prefix = "rtt-bench ";
                await using var receiver = await ReceiverProcess.StartAsync(
                    new ReceiverSettings($"bob@{server.Server.Domain}", server.Password("bob"), server.Server.Host, server.Server.C2sPort, server.Server.CaCertificatePemPath, prefix), cancellationToken);
                var work = Directory.CreateTempSubdirectory("xmppbench-rtt-");
                try
                {
                    foreach (var directTls in new[] { false, true })
                    {
                        var port = directTls ? server.Server.DirectTlsPort : server.Server.C2sPort;
                        var senders = new List<Sender> { XmppNotify(notify, server, port, directTls, prefix), GoSendxmpp(sendxmpp, server, port, directTls, prefix, work.FullName) };
                        // A cold process that keeps the learnt features (and, where FAST is offered, its token) in a
                        // --token-cache file filled by the warm-up round, as a cron job or script would.
                        senders.Add(XmppNotify(notify, server, port, directTls, prefix, Path.Combine(work.FullName, directTls ? "tokens-tls" : "tokens")));
                        var results = senders.Select(_ => (Wall: new Samples(), Trips: new Samples(), Failed: 0)).ToArray();
                        var expected = await receiver.WaitForCountAsync(int.MaxValue, TimeSpan.FromMilliseconds(200), cancellationToken);
                        for (var round = -1; round < settings.RttRuns; round++)
                        {
                            for (var s = 0; s < senders.Count; s++)
                            {
                                var started = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
                                var run = await RunOnceAsync(link, senders[s], cancellationToken);
                                // The capture lags the sender by at most a few milliseconds.
                                await Task.Delay(rttMs, cancellationToken);
                                var ended = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
                                var delivered = run.ExitCode == 0 && await receiver.WaitForCountAsync(expected + 1, TimeSpan.FromSeconds(5), cancellationToken) > expected;
                                expected = delivered ? expected + 1 : await receiver.WaitForCountAsync(int.MaxValue, TimeSpan.Zero, cancellationToken);
                                var packets = capture.Between(started, ended, port);
                                var trips = CountRoundTrips(packets, rttMs / 1000.0);
                                if (round < 0)
                                    continue;
                                if (round == 0 && settings.RttTrace)
                                    PrintTrace($"{server.Label}, {(directTls ? "direct TLS" : "STARTTLS")}, {senders[s].Name}: {trips} round trips", packets);
                                if (delivered)
                                {
                                    results[s].Wall.Add(run.Wall);
                                    results[s].Trips.AddMilliseconds(trips);
                                }
                                else
                                {
                                    results[s].Failed++;
                                    Console.WriteLine($"  {senders[s].Name} {(directTls ? "direct TLS" : "STARTTLS")} run {round}: exit {run.ExitCode}, not delivered. {run.Stderr.Trim()}");
                                }
                            }
                        }
                        var goMedian = results[1].Wall.Median;
                        for (var s = 0; s < senders.Count; s++)
                        {
                            var (wall, trips, failed) = results[s];
                            table.Row(server.Label, directTls ? "direct TLS" : "STARTTLS", senders[s].Name, wall.Count, failed, wall.Median, wall.Min, wall.Max, trips.Median, (wall.Median / goMedian).ToString("0.00", CultureInfo.InvariantCulture));
                        }
                        var warm = await RunWarmAsync(link, capture, server, port, directTls, prefix, settings, receiver, expected, cancellationToken);
                        expected = warm.Expected;
                        table.Row(server.Label, directTls ? "direct TLS" : "STARTTLS", "notifier, warm process (binding path)", warm.Wall.Count, warm.Failed, warm.Wall.Median, warm.Wall.Min, warm.Wall.Max, warm.Trips.Median, "");
                        if (server.Fast)
                        {
                            var scram = await RunWarmAsync(link, capture, server, port, directTls, prefix, settings, receiver, expected, cancellationToken, fast: false);
                            expected = scram.Expected;
                            table.Row(server.Label, directTls ? "direct TLS" : "STARTTLS", "notifier, warm process, FAST off (SCRAM)", scram.Wall.Count, scram.Failed, scram.Wall.Median, scram.Wall.Min, scram.Wall.Max, scram.Trips.Median, "");
                        }
                    }
                }
                finally
                {
                    work.Delete(recursive: true);
                }
            }
        }
        finally
        {
            await RunAsync(link, ["down"], CancellationToken.None);
        }
        Console.WriteLine();
        Console.WriteLine($"### Cold single send over a {rttMs} ms round-trip link: wall time from process start to exit (delivery checked; failures not timed), network round trips from a capture");
        table.Print();
        return 0;
    }

    /// <summary>
    /// Network round trips of one connection, seen at the server end of the link: a client packet (SYN, data or FIN;
    /// bare ACKs and resets do not count) opens a new round trip when the server sent something (not a bare ACK) after
    /// the previous round trip began and at least half an RTT before this packet arrived (an answer cannot come sooner; the
    /// margin absorbs capture timestamps that lag on a busy machine), i.e. the client waited for it.
    /// The TCP handshake therefore counts as one, the TLS 1.3 handshake as one, each request/answer as one, and a
    /// final close that follows the last answer as one; a wait for the server's stream close adds one more.
    /// </summary>
    internal static int CountRoundTrips(IReadOnlyList<CapturedPacket> packets, double rttSeconds)
    {
        var client = packets.Where(p => p.FromClient && !p.Flags.Contains('R') && (p.Payload > 0 || p.Flags.Contains('S') || p.Flags.Contains('F'))).ToList();
        var server = packets.Where(p => !p.FromClient && (p.Payload > 0 || p.Flags.Contains('S') || p.Flags.Contains('F'))).Select(p => p.Time).ToList();
        if (client.Count == 0)
            return 0;
        var trips = 0;
        var roundStart = client[0].Time;
        foreach (var packet in client.Skip(1))
        {
            if (server.Any(t => t > roundStart && t <= packet.Time - 0.5 * rttSeconds))
            {
                trips++;
                roundStart = packet.Time;
            }
        }
        return trips;
    }

    /// <summary>Every packet of one connection as the server end saw it, relative to the first.</summary>
    private static void PrintTrace(string title, IReadOnlyList<CapturedPacket> packets)
    {
        Console.WriteLine("  trace " + title);
        if (packets.Count == 0)
            return;
        var start = packets[0].Time;
        foreach (var p in packets)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {(p.Time - start) * 1000,8:0.0} ms  {(p.FromClient ? "client -> server" : "server -> client")}  {p.Flags,-4} {p.Payload,6} B"));
    }

    /// <summary>
    /// The binding's delivery path in one long-lived process, as in a Functions host: a new connection per send, but the
    /// process keeps what it learnt. This bench binary runs in the link's namespace and sends one warm-up and then
    /// <see cref="BenchSettings.RttRuns"/> notifications through <c>XmppNotifier</c>; each send is timed inside the process.
    /// </summary>
    private static async Task<(Samples Wall, Samples Trips, int Failed, int Expected)> RunWarmAsync(string link, PacketCapture capture, RttServer server, int port,
        bool directTls, string prefix, BenchSettings settings, ReceiverProcess receiver, int expected, CancellationToken cancellationToken, bool fast = true)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot find the benchmark executable.");
        var info = new ProcessStartInfo(link) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(self);
        if (Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.Ordinal))
            info.ArgumentList.Add(typeof(RttSuite).Assembly.Location);
        info.ArgumentList.Add(WarmSenderMode);
        info.ArgumentList.Add((settings.RttRuns + 1).ToString(CultureInfo.InvariantCulture));
        info.ArgumentList.Add(prefix + "from the notifier");
        info.Environment["XMPP_URLS"] = $"xmpps://alice:{Uri.EscapeDataString(server.Password("alice"))}@{server.Server.Domain}:{port}/bob?xmpp={ServerAddress}" + (directTls ? "&mode=tls" : "");
        info.Environment["SSL_CERT_FILE"] = server.Server.CaCertificatePemPath;
        if (!fast)
            info.Environment[NoFastVariable] = "1";
        using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the warm sender.");
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        var wall = new Samples();
        var trips = new Samples();
        var failed = 0;
        while (await process.StandardOutput.ReadLineAsync(cancellationToken) is { } line)
        {
            // "send <i> <start unix s> <end unix s> <ms> <ok>"
            var f = line.Split(' ');
            if (f is not ["send", var index, var from, var to, var ms, var ok])
                continue;
            var delivered = ok == "ok" && await receiver.WaitForCountAsync(expected + 1, TimeSpan.FromSeconds(5), cancellationToken) > expected;
            expected = delivered ? expected + 1 : await receiver.WaitForCountAsync(int.MaxValue, TimeSpan.Zero, cancellationToken);
            if (index == "0")
                continue;
            if (!delivered)
            {
                failed++;
                continue;
            }
            wall.AddMilliseconds(double.Parse(ms, CultureInfo.InvariantCulture));
            await Task.Delay(settings.RttMs, cancellationToken);
            var packets = capture.Between(double.Parse(from, CultureInfo.InvariantCulture) - 0.001, double.Parse(to, CultureInfo.InvariantCulture) + settings.RttMs / 1000.0, port);
            // One connection per send: keep the packets of the connection that opened in this window.
            var opened = packets.FirstOrDefault(p => p.FromClient && p.Flags.Contains('S', StringComparison.Ordinal));
            var connection = opened is null ? packets : packets.Where(p => p.ClientPort == opened.ClientPort).ToList();
            var count = CountRoundTrips(connection, settings.RttMs / 1000.0);
            trips.AddMilliseconds(count);
            if (index == "1" && settings.RttTrace)
                PrintTrace($"{server.Label}, {(directTls ? "direct TLS" : "STARTTLS")}, warm notifier{(fast ? "" : " without FAST")}: {count} round trips", connection);
        }
        await process.WaitForExitAsync(cancellationToken);
        var errors = (await stderr).Trim();
        if (errors.Length > 0)
            Console.WriteLine("  warm sender: " + errors);
        return (wall, trips, failed, expected);
    }

    /// <summary>The child side of <see cref="RunWarmAsync"/>: sequential notifications from one process, each timed.</summary>
    public static async Task<int> RunWarmSenderAsync(int sends, string body)
    {
        var urls = new[] { Environment.GetEnvironmentVariable("XMPP_URLS") ?? throw new InvalidOperationException("XMPP_URLS is not set.") };
        // Without FAST (NoFastVariable): the warm SASL2 login with SCRAM, its first message sent with the stream header.
        var notifier = Environment.GetEnvironmentVariable(NoFastVariable) == "1"
            ? new Xmpp.Notifications.XmppNotifier(null, new Xmpp.Notifications.XmppNotifierOptions { ConfigureClient = client => client.FastTokens = null })
            : new Xmpp.Notifications.XmppNotifier();
        for (var i = 0; i < sends; i++)
        {
            var from = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
            var started = Stopwatch.GetTimestamp();
            var result = await notifier.NotifyAsync(urls, [new Xmpp.Notifications.Notification(null, body)], CancellationToken.None);
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var to = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"send {i} {from:0.000} {to:0.000} {ms:0.0} {(result.Success ? "ok" : "failed")}"));
            if (!result.Success)
                Console.Error.WriteLine(result.Describe());
            // Let the capture and the receiver settle between sends, as between invocations.
            await Task.Delay(300);
        }
        return 0;
    }

    private static Sender XmppNotify(string executable, RttServer server, int port, bool directTls, string prefix, string? tokenCache = null) =>
        new(tokenCache is null ? "xmpp-notify" : server.Fast ? "xmpp-notify --token-cache (FAST)" : "xmpp-notify --token-cache (learnt features)", executable,
            tokenCache is null ? ["-b", prefix + "from xmpp-notify"] : ["-b", prefix + "from xmpp-notify", "--token-cache", tokenCache], new Dictionary<string, string>
        {
            ["XMPP_URLS"] = $"xmpps://alice:{Uri.EscapeDataString(server.Password("alice"))}@{server.Server.Domain}:{port}/bob?xmpp={ServerAddress}" + (directTls ? "&mode=tls" : ""),
            ["SSL_CERT_FILE"] = server.Server.CaCertificatePemPath,
        }, null);

    private static Sender GoSendxmpp(string executable, RttServer server, int port, bool directTls, string prefix, string work)
    {
        var request = new GoSendxmppRequest
        {
            Jid = $"alice@{server.Server.Domain}",
            Password = server.Password("alice"),
            Host = ServerAddress,
            Port = port,
            Recipient = $"bob@{server.Server.Domain}",
            Message = prefix + "from go-sendxmpp",
            DirectTls = directTls,
            CaPemPath = server.Server.CaCertificatePemPath,
        };
        var config = Path.Combine(work, directTls ? "sendxmpprc-tls" : "sendxmpprc");
        TestServers.GoSendxmpp.WriteConfigFile(request, config);
        return new("go-sendxmpp", executable, TestServers.GoSendxmpp.BuildArguments(request, config), TestServers.GoSendxmpp.EnvironmentFor(request), request.Message);
    }

    private sealed record Sender(string Name, string Executable, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string> Environment, string? Stdin);

    private sealed record RunResult(int ExitCode, TimeSpan Wall, string Stderr);

    /// <summary>Runs the sender inside the link's namespace; the wall time includes <c>ip netns exec</c> (a few ms, the same for every sender).</summary>
    private static async Task<RunResult> RunOnceAsync(string link, Sender sender, CancellationToken cancellationToken)
    {
        var run = await TimedProcess.RunAsync(link, ["exec", sender.Executable, .. sender.Arguments], sender.Environment, sender.Stdin, sender.Name, cancellationToken);
        return new RunResult(run.ExitCode, run.Wall, run.Stderr);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string executable, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in arguments)
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {executable}.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var text = (await output + await error).Trim();
        if (text.Length > 0)
            Console.WriteLine(text);
        return (process.ExitCode, text);
    }

    /// <summary>The server-side device of the link (veth with netem, or the delay line's TUN device).</summary>
    private static async Task<string> LinkDeviceAsync(CancellationToken cancellationToken)
    {
        var (code, output) = await RunAsync("ip", ["-o", "-4", "addr", "show", "to", ServerAddress], cancellationToken);
        var device = code == 0 ? output.Split(' ', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1) : null;
        return device ?? throw new InvalidOperationException($"No device holds {ServerAddress}.");
    }

    private static string FindLinkScript()
    {
        foreach (var candidate in new[] { Environment.GetEnvironmentVariable("LATENCY_LINK"), "/work/shared/tools/latency-link/link.sh" })
        {
            if (candidate is { Length: > 0 } && File.Exists(candidate))
                return candidate;
        }
        throw new InvalidOperationException("link.sh not found: set LATENCY_LINK to tools/latency-link/link.sh.");
    }

    /// <summary>A private server listening on loopback and on the server end of the link, with a sender and a receiver account.</summary>
    private sealed class RttServer : IAsyncDisposable
    {
        private readonly Dictionary<string, string> _passwords = new(StringComparer.Ordinal);

        private RttServer(IXmppTestServer server, string label)
        {
            Server = server;
            Label = label;
        }

        public IXmppTestServer Server { get; }

        public string Label { get; }

        /// <summary>The server offers SASL2 with Bind 2 and FAST.</summary>
        public bool Fast { get; private init; }

        public string Password(string user) => _passwords[user];

        public static async Task<RttServer> StartAsync(string kind, CancellationToken cancellationToken)
        {
            IXmppTestServer server = kind switch
            {
                "prosody" => await ProsodyServer.StartAsync(new ProsodyOptions { TcpNoDelay = false, ExtraListenAddress = ServerAddress }, cancellationToken),
                "ejabberd" => await EjabberdServer.StartAsync(new EjabberdOptions { ExtraListenAddress = ServerAddress }, cancellationToken),
                "prosody-sasl2" => await ProsodyServer.StartAsync(new ProsodyOptions { TcpNoDelay = false, ExtraListenAddress = ServerAddress, Sasl2 = true }, cancellationToken),
                _ => throw new InvalidOperationException($"Unknown server '{kind}'."),
            };
            var label = kind switch
            {
                "prosody" => "Prosody 0.12 stock",
                "prosody-sasl2" => "Prosody 0.12 + SASL2/Bind2/FAST (patched prosody-modules)",
                _ => "ejabberd 23.01",
            };
            var rtt = new RttServer(server, label) { Fast = kind == "prosody-sasl2" };
            try
            {
                foreach (var user in new[] { "alice", "bob" })
                {
                    rtt._passwords[user] = "pw-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
                    await server.RegisterAsync(user, rtt._passwords[user], cancellationToken);
                }
                return rtt;
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
        }

        public ValueTask DisposeAsync() => Server.DisposeAsync();
    }
}

internal sealed record CapturedPacket(double Time, bool FromClient, int ServerPort, int ClientPort, string Flags, int Payload);

/// <summary>tools/capture.py on the link device: timestamps, direction, flags and sizes of TCP packets (no contents).</summary>
internal sealed class PacketCapture : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<CapturedPacket> _packets = new();
    private readonly Task _reading;

    private PacketCapture(Process process)
    {
        _process = process;
        _reading = Task.Run(ReadAsync);
    }

    public static async Task<PacketCapture> StartAsync(string device, CancellationToken cancellationToken)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "tools", "capture.py");
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(script);
        info.ArgumentList.Add(device);
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the packet capture.");
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(10));
        var first = await process.StandardOutput.ReadLineAsync(limit.Token);
        if (first != "ready")
        {
            process.Kill();
            process.Dispose();
            throw new InvalidOperationException("The packet capture did not start: " + first);
        }
        return new PacketCapture(process);
    }

    private async Task ReadAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            var f = line.Split(' ');
            if (f.Length != 7)
                continue;
            var fromClient = f[1] == "10.200.0.2";
            _packets.Enqueue(new CapturedPacket(
                double.Parse(f[0], CultureInfo.InvariantCulture), fromClient,
                int.Parse(fromClient ? f[4] : f[2], CultureInfo.InvariantCulture), int.Parse(fromClient ? f[2] : f[4], CultureInfo.InvariantCulture),
                f[5], int.Parse(f[6], CultureInfo.InvariantCulture)));
        }
    }

    public IReadOnlyList<CapturedPacket> Between(double from, double to, int serverPort) =>
        _packets.Where(p => p.Time >= from && p.Time <= to && p.ServerPort == serverPort).OrderBy(p => p.Time).ToList();

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
        }
        await _reading.WaitAsync(TimeSpan.FromSeconds(5));
        _process.Dispose();
    }
}
