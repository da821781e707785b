using System.Globalization;

namespace Xmpp.Bench;

internal sealed record BenchSettings(int Iterations, int Warmup, int Messages, int CliRuns, int Concurrency, IReadOnlyList<bool> NagleModes, string? NotifyPath)
{
    public int RttRuns { get; init; } = 7;

    public int RttMs { get; init; } = 50;

    public bool RttTrace { get; init; }

    public IReadOnlyList<string> RttServers { get; init; } = ["prosody", "ejabberd", "prosody-sasl2"];

    /// <summary>Invocations of the fault campaign (default 1000).</summary>
    public int? Invocations { get; init; }

    public int FuzzSeconds { get; init; } = 120;

    public string? FuzzTarget { get; init; }
}

internal static class Program
{
    public const string ReceiverMode = "__receiver";

    private const string Usage = """
        Usage: dotnet run -c Release --project bench/XmppBench -- <suite> [options]
          suites:  client | cli | binding | all | rtt (by hand, as root: emulated WAN link, not part of all)
                   twoway      receipts (slixmpp xep_0184 client) and inbox fetches of N archived items (not in all)
                   faults      fault campaign through the binding (not in all)
                   linearity   parsers, formatter and stream reader timed at n and 2n up to the limits
                   fuzz        random-edit fuzzing of the same in-process (--seconds, --target)
                   fuzz-afl    SharpFuzz entry for AFL++ (--target NAME; see docs/benchmarks.md)
          options: --iterations N   timed iterations per measure (default 50)
                   --warmup N       warm-up iterations (default 5)
                   --messages N     messages in the one-session throughput run (default 10000)
                   --cli-runs N     runs of each CLI (default 20)
                   --concurrency N  concurrent binding invocations (default 200; faults: at most 50)
                   --invocations N  fault campaign invocations (default 1000)
                   --seconds N      fuzz: how long (default 120)
                   --target NAME    fuzz, fuzz-afl: one parser (names as printed by fuzz)
                   --nagle on|off|both   Prosody with stock Nagle, with tcp_nodelay, or both (default both)
                   --rtt-runs N     rtt: cold sends per sender, mode and server (default 7)
                   --rtt-ms N       rtt: emulated round-trip time (default 50)
                   --rtt-trace on   rtt: print the packets of the first timed send of each sender
                   --rtt-servers prosody,ejabberd   rtt: which servers (default both)
                   --notify PATH    xmpp-notify executable (default: published into .artifacts/bench-notify)
        """;

    public static async Task<int> Main(string[] args)
    {
        if (args is [ReceiverMode])
            return await ReceiverProcess.RunChildAsync();
        if (args is [RttSuite.WarmSenderMode, var sends, var body])
            return await RttSuite.RunWarmSenderAsync(int.Parse(sends, CultureInfo.InvariantCulture), body);
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        BenchSettings settings;
        try
        {
            settings = Parse(args.Skip(1).ToArray());
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(Usage);
            return 2;
        }
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.WriteLine($"# XmppBench {args[0]}: {Environment.ProcessorCount} cores, .NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, load average {LoadAverage()}");
        switch (args[0])
        {
            case "client":
                await ClientSuite.RunAsync(settings, cancel.Token);
                break;
            case "cli":
                return await CliSuite.RunAsync(settings, cancel.Token);
            case "rtt":
                return await RttSuite.RunAsync(settings, cancel.Token);
            case "binding":
                await BindingSuite.RunAsync(settings, cancel.Token);
                break;
            case "twoway":
                await TwoWaySuite.RunAsync(settings, cancel.Token);
                break;
            case "faults":
                return await FaultSuite.RunAsync(settings, cancel.Token);
            case "linearity":
                return await InputSuite.LinearityAsync();
            case "fuzz":
                return await InputSuite.FuzzAsync(settings.FuzzSeconds, settings.FuzzTarget);
            case "fuzz-afl":
                return InputSuite.Afl(settings.FuzzTarget ?? throw new FormatException("fuzz-afl needs --target NAME."));
            case "all":
                await ClientSuite.RunAsync(settings, cancel.Token);
                Console.WriteLine();
                var cli = await CliSuite.RunAsync(settings, cancel.Token);
                Console.WriteLine();
                await BindingSuite.RunAsync(settings, cancel.Token);
                return cli;
            default:
                Console.Error.WriteLine($"Unknown suite '{args[0]}'.");
                Console.Error.WriteLine(Usage);
                return 2;
        }
        return 0;
    }

    /// <summary>Other work on the machine skews every figure; the load average says how much there was.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static BenchSettings Parse(string[] options)
    {
        var settings = new BenchSettings(50, 5, 10_000, 20, 200, [true, false], null);
        for (var i = 0; i < options.Length; i++)
        {
            var value = i + 1 < options.Length ? options[i + 1] : throw new FormatException($"{options[i]} needs a value.");
            i++;
            settings = options[i - 1] switch
            {
                "--iterations" => settings with { Iterations = Positive(value) },
                "--warmup" => settings with { Warmup = int.Parse(value, CultureInfo.InvariantCulture) },
                "--messages" => settings with { Messages = Positive(value) },
                "--cli-runs" => settings with { CliRuns = Positive(value) },
                "--concurrency" => settings with { Concurrency = Positive(value) },
                "--invocations" => settings with { Invocations = Positive(value) },
                "--seconds" => settings with { FuzzSeconds = Positive(value) },
                "--target" => settings with { FuzzTarget = value },
                "--nagle" => settings with
                {
                    NagleModes = value switch
                    {
                        "on" => [true],
                        "off" => [false],
                        "both" => [true, false],
                        _ => throw new FormatException("--nagle takes on, off or both."),
                    },
                },
                "--rtt-runs" => settings with { RttRuns = Positive(value) },
                "--rtt-trace" => settings with { RttTrace = value is "on" or "yes" or "true" },
                "--rtt-ms" => settings with { RttMs = Positive(value) },
                "--rtt-servers" => settings with { RttServers = value.Split(',', StringSplitOptions.RemoveEmptyEntries) },
                "--notify" => settings with { NotifyPath = Path.GetFullPath(value) },
                _ => throw new FormatException($"Unknown option {options[i - 1]}."),
            };
        }
        return settings;
    }

    private static int Positive(string value)
    {
        var number = int.Parse(value, CultureInfo.InvariantCulture);
        return number > 0 ? number : throw new FormatException($"Expected a positive number, got {value}.");
    }
}
