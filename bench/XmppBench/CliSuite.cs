using System.Diagnostics;
using System.Globalization;
using Xmpp.Client;
using Xmpp.TestServers;

namespace Xmpp.Bench;

/// <summary>
/// Cold single sends from the command line: the published xmpp-notify against go-sendxmpp, alternating, each run
/// checked for delivery by a receiving session. Peak RSS comes from GNU time (<c>%M</c>, the child's ru_maxrss).
/// Both trust the test CA the same way: <c>SSL_CERT_FILE</c> pointing at it (honoured by Go's crypto/x509 and by
/// .NET's OpenSSL-based chain building), with certificate verification on.
/// </summary>
internal static class CliSuite
{
    private const string GnuTime = "/usr/bin/time";

    public static async Task<int> RunAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        Console.WriteLine($"## cli: {settings.CliRuns} cold runs of each sender and trust-store variant, alternating, after 2 warm-up runs each");
        if (!File.Exists(GnuTime))
        {
            Console.Error.WriteLine($"{GnuTime} is missing: install GNU time (apt-get install time) to measure peak RSS.");
            return 3;
        }
        var notify = settings.NotifyPath ?? await PublishNotifyAsync(cancellationToken);
        var sendxmpp = FindOnPath("go-sendxmpp") ?? throw new InvalidOperationException("go-sendxmpp is not on PATH.");
        Console.WriteLine($"xmpp-notify: {notify} ({new FileInfo(notify).Length / 1048576.0:0.0} MiB)");
        Console.WriteLine($"go-sendxmpp: {sendxmpp} ({await VersionAsync(sendxmpp, cancellationToken)})");

        var table = new Table("server", "sender", "trust store", "ok", "failed", "median ms", "p90 ms", "min ms", "max ms", "median peak RSS MiB", "max peak RSS MiB");
        var ratios = new Table("server", "trust store", "median ratio xmpp-notify/go-sendxmpp", "goal", "RSS ratio");
        foreach (var nagle in settings.NagleModes)
        {
            await using var server = await BenchServer.StartAsync(nagle);
            var prefix = "cli-bench ";
            await using var receiver = await server.StartReceiverAsync(prefix, cancellationToken);
            var work = Directory.CreateTempSubdirectory("xmppbench-cli-");
            try
            {
                // Pairs (xmpp-notify, go-sendxmpp): first with the system certificate directory as it is, then with
                // SSL_CERT_DIR pointing at an empty directory, so that neither scans the ~280 files of /etc/ssl/certs.
                var emptyCertDir = Directory.CreateDirectory(Path.Combine(work.FullName, "empty-cert-dir")).FullName;
                var plainNotify = Sender.XmppNotify(notify, server, prefix, work.FullName);
                var plainGo = Sender.GoSendxmpp(sendxmpp, server, prefix, work.FullName);
                var senders = new[]
                {
                    plainNotify,
                    plainGo,
                    Sender.XmppNotify(notify, server, prefix, work.FullName, verify: false),
                    Sender.GoSendxmpp(sendxmpp, server, prefix, work.FullName, verify: false),
                    plainNotify.WithEmptyCertDir(emptyCertDir),
                    plainGo.WithEmptyCertDir(emptyCertDir),
                };
                // Trust check: without SSL_CERT_FILE both must fail verification, which shows both verify and both trust the CA only through it.
                foreach (var sender in senders.Take(2))
                {
                    var untrusted = sender with { Environment = sender.Environment.Where(e => e.Key != "SSL_CERT_FILE").ToDictionary() };
                    var check = await RunOnceAsync(untrusted, work.FullName, cancellationToken);
                    Console.WriteLine($"[{server.Label}] trust check: {sender.Name} without SSL_CERT_FILE exits {check.ExitCode} ({FirstLine(check.Stderr)})");
                }
                var expected = await receiver.WaitForCountAsync(int.MaxValue, TimeSpan.FromSeconds(1), cancellationToken);
                var results = senders.Select(_ => (Wall: new Samples(), Rss: new Samples(), Failed: 0)).ToArray();
                for (var round = -2; round < settings.CliRuns; round++)
                {
                    for (var s = 0; s < senders.Length; s++)
                    {
                        var run = await RunOnceAsync(senders[s], work.FullName, cancellationToken);
                        var delivered = run.ExitCode == 0 && await receiver.WaitForCountAsync(expected + 1, TimeSpan.FromSeconds(5), cancellationToken) > expected;
                        if (delivered)
                            expected++;
                        else
                            expected = await receiver.WaitForCountAsync(int.MaxValue, TimeSpan.Zero, cancellationToken);
                        if (round < 0)
                            continue;
                        if (delivered)
                        {
                            results[s].Wall.Add(run.Wall);
                            results[s].Rss.AddMilliseconds(run.PeakRssKiB / 1024.0);
                        }
                        else
                        {
                            results[s].Failed++;
                            Console.WriteLine($"  {senders[s].Name} run {round}: exit {run.ExitCode}, not delivered. {run.Stderr.Trim()}");
                        }
                    }
                }
                for (var s = 0; s < senders.Length; s++)
                {
                    var (wall, rss, failed) = results[s];
                    table.Row(server.Label, senders[s].Name, senders[s].Variant, wall.Count, failed, wall.Median, wall.Percentile(90), wall.Min, wall.Max, rss.Median, rss.Max);
                }
                for (var s = 0; s + 1 < senders.Length; s += 2)
                    ratios.Row(server.Label, senders[s].Variant, (results[s].Wall.Median / results[s + 1].Wall.Median).ToString("0.00", CultureInfo.InvariantCulture), "<= 0.5",
                        (results[s].Rss.Median / results[s + 1].Rss.Median).ToString("0.00", CultureInfo.InvariantCulture));
            }
            finally
            {
                work.Delete(recursive: true);
            }
        }
        Console.WriteLine();
        Console.WriteLine("### Cold single send, wall time from process start to exit (delivery checked; failures not timed)");
        table.Print();
        Console.WriteLine();
        ratios.Print();
        return 0;
    }

    private sealed record Sender(string Name, string Executable, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string> Environment)
    {
        public string? Stdin { get; init; }

        public string Variant { get; init; } = "CA file + system dir";

        public Sender WithEmptyCertDir(string emptyDirectory) => this with
        {
            Variant = "CA file, empty SSL_CERT_DIR",
            Environment = new Dictionary<string, string>(Environment) { ["SSL_CERT_DIR"] = emptyDirectory },
        };

        /// <summary>The URL (with the password) travels in XMPP_URLS, not on the command line.</summary>
        public static Sender XmppNotify(string executable, BenchServer server, string prefix, string work, bool verify = true) =>
            verify
                ? new("xmpp-notify", executable, ["-b", prefix + "from xmpp-notify"], new Dictionary<string, string>
                {
                    ["XMPP_URLS"] = server.SenderUrl,
                    ["SSL_CERT_FILE"] = server.Server.CaCertificatePemPath,
                })
                : new("xmpp-notify", executable, ["-b", prefix + "from xmpp-notify"], new Dictionary<string, string>
                {
                    ["XMPP_URLS"] = server.SenderUrl + "&verify=no",
                })
                { Variant = NoVerification };

        /// <summary>The machine's trust setup untouched (no SSL_* variables); the test CA is no system root, so both skip verification.</summary>
        public const string NoVerification = "system store as is, verify off";

        /// <summary>The test servers' go-sendxmpp helper builds the command line: account in a private config file (-f), STARTTLS, body on stdin.</summary>
        public static Sender GoSendxmpp(string executable, BenchServer server, string prefix, string work, bool verify = true)
        {
            var request = new GoSendxmppRequest
            {
                Jid = $"alice@{server.Domain}",
                Password = server.Password("alice"),
                Host = "127.0.0.1",
                Port = server.Port,
                Recipient = $"bob@{server.Domain}",
                Message = prefix + "from go-sendxmpp",
                CaPemPath = verify ? server.Server.CaCertificatePemPath : null, // null: -n, no verification
            };
            var config = Path.Combine(work, verify ? "sendxmpprc" : "sendxmpprc-noverify");
            TestServers.GoSendxmpp.WriteConfigFile(request, config);
            return new("go-sendxmpp", executable, TestServers.GoSendxmpp.BuildArguments(request, config), TestServers.GoSendxmpp.EnvironmentFor(request))
            {
                Stdin = request.Message,
                Variant = verify ? "CA file + system dir" : NoVerification,
            };
        }
    }

    private sealed record RunResult(int ExitCode, TimeSpan Wall, long PeakRssKiB, string Stderr);

    private static async Task<RunResult> RunOnceAsync(Sender sender, string work, CancellationToken cancellationToken)
    {
        var rssFile = Path.Combine(work, "rss.txt");
        var run = await TimedProcess.RunAsync(GnuTime, ["-f", "%M", "-o", rssFile, sender.Executable, .. sender.Arguments], sender.Environment, sender.Stdin, sender.Name, cancellationToken);
        if (run.TimedOut)
            return new RunResult(run.ExitCode, run.Wall, 0, run.Stderr);
        var rssText = File.Exists(rssFile) ? (await File.ReadAllTextAsync(rssFile, cancellationToken)).Trim() : "";
        // GNU time writes "Command exited with non-zero status N" before the figure when the child fails.
        var lastLine = rssText.Split('\n').LastOrDefault() ?? "";
        var rss = long.TryParse(lastLine, NumberStyles.Integer, CultureInfo.InvariantCulture, out var kib) ? kib : 0;
        return new RunResult(run.ExitCode, run.Wall, rss, run.Stderr);
    }

    private static string FirstLine(string text) => text.Trim().Split('\n')[0].Trim();

    internal static async Task<string> PublishNotifyAsync(CancellationToken cancellationToken)
    {
        var root = RepositoryRoot();
        var output = Path.Combine(root, ".artifacts", "bench", "xmpp-notify-publish");
        var executable = Path.Combine(output, "xmpp-notify");
        if (File.Exists(executable))
            return executable;
        Console.WriteLine($"Publishing xmpp-notify (NativeAOT, linux-x64) into {output} ...");
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, WorkingDirectory = root };
        foreach (var arg in new[] { "publish", "src/XmppNotify.Cli", "-c", "Release", "-r", "linux-x64", "-o", output, "--nologo", "-v", "quiet" })
            info.ArgumentList.Add(arg);
        info.Environment["XMPP_BUILD_SLOT"] = "bench";
        using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start dotnet publish.");
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(TimeSpan.FromMinutes(10));
        await process.WaitForExitAsync(limit.Token);
        if (process.ExitCode != 0 || !File.Exists(executable))
            throw new InvalidOperationException($"dotnet publish src/XmppNotify.Cli failed (exit {process.ExitCode}).");
        return executable;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Xmpp.sln")))
                return dir.FullName;
        }
        return Directory.GetCurrentDirectory();
    }

    internal static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    private static async Task<string> VersionAsync(string executable, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(executable, "--version") { RedirectStandardOutput = true, UseShellExecute = false };
        using var process = Process.Start(info);
        if (process is null)
            return "version unknown";
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(5));
        var text = await process.StandardOutput.ReadToEndAsync(limit.Token);
        await process.WaitForExitAsync(limit.Token);
        return text.Split('\n')[0].Trim();
    }
}
