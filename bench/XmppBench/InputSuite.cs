using System.Diagnostics;
using System.Globalization;
using System.Text;
using Xmpp.Client;
using Xmpp.Client.Xml;
using Xmpp.Notifications.Tests.Contracts;

namespace Xmpp.Bench;

/// <summary>
/// Hostile-input suites over every parser of untrusted bytes (<see cref="ParserCatalog"/>) and the client's XML stream
/// reader: <c>linearity</c> times each at n and 2n up to the limits and prints the ratios; <c>fuzz</c> runs a random
/// mutation loop for some seconds and reports inputs that end in anything but a result or the typed rejection;
/// <c>fuzz-afl NAME</c> is the SharpFuzz entry point for AFL++ (see docs/benchmarks.md).
/// </summary>
internal static class InputSuite
{
    /// <summary>The stream reader as a catalog entry: a header, then the bytes, then the end of the connection.</summary>
    private static readonly ParserEntry StreamReader = new("xml-stream-reader", ReadStreamAsync,
        ["<message to='bob@example.org' type='chat' id='1'><body>hi &amp; bye</body></message>", "<iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq><a xmlns='urn:xmpp:sm:3' h='3'/>"],
        n => "<message to='bob@example.org' type='chat' id='1'><body>" + string.Concat(Enumerable.Repeat("disk full &amp; ", Math.Max(1, n / 16))) + "</body></message>",
        "stanza chars");

    private static readonly ParserEntry StreamOfStanzas = new("xml-stream-many-stanzas", ReadStreamAsync,
        ["<r xmlns='urn:xmpp:sm:3'/>"],
        n => string.Concat(Enumerable.Repeat("<message type='chat' id='x'><body>hi</body></message>", Math.Max(1, n / 52))),
        "chars of small stanzas");

    private const string Header = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s' from='example.org' version='1.0'>";

    private static IReadOnlyList<ParserEntry> Targets => [.. ParserCatalog.All, StreamReader, StreamOfStanzas];

    private static async Task<int> ReadStreamAsync(byte[] bytes)
    {
        var input = new MemoryStream([.. Encoding.UTF8.GetBytes(Header), .. bytes, .. "</stream:stream>"u8]);
        using var reader = new XmlStreamReader(input, 512 * 1024);
        var count = 0;
        await reader.ReadHeaderAsync(CancellationToken.None);
        while (await reader.ReadElementAsync(CancellationToken.None) is not null)
            count++;
        return count;
    }

    /// <summary>The stream reader's entries return its task; the harness awaits results that are tasks.</summary>
    private static async Task RunAsync(ParserEntry target, byte[] input)
    {
        if (target.Run(input) is Task task)
            await task;
    }

    private static bool Expected(string target, Exception e) =>
        target.StartsWith("xml-stream", StringComparison.Ordinal)
            ? e is XmppException
            : ParserCatalog.IsExpectedRejection(e);

    public static async Task<int> LinearityAsync()
    {
        Console.WriteLine("## linearity: fastest of ≥ 7 runs at n and 2n, up to 256 KiB (the request limit); ratio t(2n)/t(n) ≈ 2 is linear");
        var table = new Table("parser", "unit", "n → 2n", "bytes at 2n", "ms at n", "ms at 2n", "ratio", "outcome at 2n");
        var worst = 0.0;
        foreach (var target in Targets)
        {
            double? previous = null;
            foreach (var n in new[] { 16 * 1024, 32 * 1024, 64 * 1024, 128 * 1024, 240 * 1024 })
            {
                var input = Encoding.UTF8.GetBytes(target.Scaled(n));
                var (ms, outcome) = await TimeAsync(target, input);
                if (previous is { } before && n >= 64 * 1024)
                {
                    var ratio = ms / before;
                    worst = Math.Max(worst, ratio);
                    table.Row(target.Name, target.Unit, $"{n / 2048}K → {n / 1024}K", input.Length, before, ms, ratio, outcome);
                }
                previous = ms;
            }
        }
        table.Print();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Worst ratio {worst:0.00} (2.0 is linear; above ~2.6 would be worse than linear beyond noise)."));
        return 0;
    }

    /// <summary>
    /// The fastest of at least 7 runs (and at least 200 ms of runs, at most 60), each after a full GC: on a shared,
    /// loaded machine the minimum is the figure least disturbed by other work.
    /// </summary>
    private static async Task<(double Ms, string Outcome)> TimeAsync(ParserEntry target, byte[] input)
    {
        string outcome = "ok";
        var best = double.MaxValue;
        var total = 0.0;
        for (var i = 0; i < 60 && (i < 8 || total < 200); i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var started = Stopwatch.GetTimestamp();
            try
            {
                await RunAsync(target, input);
            }
            catch (Exception e) when (Expected(target.Name, e))
            {
                outcome = "rejected: " + e.Message.Split('.')[0];
            }
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (i > 0)
            {
                best = Math.Min(best, ms);
                total += ms;
            }
        }
        return (best, outcome);
    }

    /// <summary>Mutation fuzzing in-process: seeds edited at random, every input run through its parser.</summary>
    public static async Task<int> FuzzAsync(int seconds, string? only)
    {
        var targets = Targets.Where(t => only is null || t.Name == only).ToList();
        Console.WriteLine($"## fuzz: {seconds} s of random edits to the seeds of {targets.Count} targets (in-process; AFL++ mode: fuzz-afl NAME)");
        var random = new Random(20261130);
        var executions = new Dictionary<string, long>();
        var rejected = new Dictionary<string, long>();
        var findings = new List<(string Target, string Error, byte[] Input)>();
        var deadline = Stopwatch.GetTimestamp() + seconds * Stopwatch.Frequency;
        var corpus = targets.ToDictionary(t => t.Name, t => t.Seeds.Select(Encoding.UTF8.GetBytes).ToList());
        while (Stopwatch.GetTimestamp() < deadline)
        {
            foreach (var target in targets)
            {
                var pool = corpus[target.Name];
                var input = Mutate(pool[random.Next(pool.Count)], random);
                executions[target.Name] = executions.GetValueOrDefault(target.Name) + 1;
                try
                {
                    await RunAsync(target, input);
                    // Inputs that still parse make good parents: keep a bounded few.
                    if (pool.Count < 64)
                        pool.Add(input);
                }
                catch (Exception e) when (Expected(target.Name, e))
                {
                    rejected[target.Name] = rejected.GetValueOrDefault(target.Name) + 1;
                }
                catch (Exception e)
                {
                    var key = target.Name + ": " + e.GetType().Name + ": " + e.Message;
                    if (findings.All(f => f.Target + ": " + f.Error != key))
                    {
                        findings.Add((target.Name, e.GetType().Name + ": " + e.Message, input));
                        Console.WriteLine($"  FINDING {key}\n    input (base64): {Convert.ToBase64String(input)}");
                    }
                }
            }
        }
        var table = new Table("target", "executions", "rejected (typed)", "accepted");
        foreach (var target in targets)
            table.Row(target.Name, executions.GetValueOrDefault(target.Name), rejected.GetValueOrDefault(target.Name), executions.GetValueOrDefault(target.Name) - rejected.GetValueOrDefault(target.Name));
        table.Print();
        Console.WriteLine(findings.Count == 0 ? "No input ended in anything but a result or the typed rejection." : $"{findings.Count} distinct unexpected failure(s).");
        return findings.Count == 0 ? 0 : 1;
    }

    /// <summary>SharpFuzz entry for AFL++: one input per run on stdin, through one parser; unexpected exceptions crash.</summary>
    public static int Afl(string name)
    {
        // SharpFuzz calls a synchronous action, so only the synchronous parsers (not the async stream reader) run here.
        var target = ParserCatalog.All.Single(t => t.Name == name);
        SharpFuzz.Fuzzer.OutOfProcess.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            try
            {
                target.Run(buffer.ToArray());
            }
            catch (Exception e) when (Expected(target.Name, e))
            {
            }
        });
        return 0;
    }

    private static byte[] Mutate(byte[] seed, Random random)
    {
        var bytes = new List<byte>(seed);
        var edits = 1 + random.Next(4);
        for (var i = 0; i < edits; i++)
        {
            var at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0 when bytes.Count > 0:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 1:
                    bytes.InsertRange(at, Encoding.UTF8.GetBytes(Interesting[random.Next(Interesting.Length)]));
                    break;
                case 2 when bytes.Count > 0:
                    bytes.RemoveRange(at, Math.Min(bytes.Count - at, 1 + random.Next(16)));
                    break;
                case 3 when bytes.Count > 0:
                    // Duplicate a span: nesting and repetition.
                    var length = Math.Min(bytes.Count - at, 1 + random.Next(64));
                    bytes.InsertRange(at, bytes.GetRange(at, length));
                    break;
                case 4 when bytes.Count > 0:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                default:
                    bytes.Insert(at, (byte)"<>{}[]\"'&;:,\\/=#%"[random.Next(17)]);
                    break;
            }
        }
        return [.. bytes];
    }

    private static readonly string[] Interesting =
    [
        "\\ud800", "\\udfff", "\\u0000", "\\u001b", "\\ufffe", "\u0001", "\u001b[31m", "\ufffe", "\uffff", "&#0;", "&#xD800;", "&bogus;", "]]>",
        "<!DOCTYPE x [<!ENTITY a 'aaaa'>]>", "<![CDATA[", "<?pi?>", "<!--", "xmlns='urn:x'", "xmlns:p='urn:p'", "p:", "javascript:", "1e400",
        "-0", "99999999999999999999", "null", "true", "[]", "{}", "\"to\":", "\"body\":", "\"alerts\":", "<address type='to' jid='a@b'/>",
        "<body>", "</body>", "<html xmlns='http://jabber.org/protocol/xhtml-im'>", "**", "[x](", "<a href='", "<script>", "\r\n", "\t", "😀",
    ];
}
