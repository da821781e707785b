using System.Security.Cryptography;
using Xmpp.Client;
using Xmpp.TestServers;

namespace Xmpp.Bench;

/// <summary>A private Prosody with a sender (alice) and a receiver (bob), random passwords, on loopback.</summary>
internal sealed class BenchServer : IAsyncDisposable
{
    private readonly Dictionary<string, string> _passwords = new(StringComparer.Ordinal);

    private BenchServer(ProsodyServer server, bool nagle)
    {
        Server = server;
        Nagle = nagle;
    }

    public ProsodyServer Server { get; }

    /// <summary>True for stock Prosody (Nagle's algorithm on), false with TCP_NODELAY.</summary>
    public bool Nagle { get; }

    public string Label => Nagle ? "Prosody stock (Nagle on)" : "Prosody tcp_nodelay";

    public string Domain => Server.Domain;

    public int Port => Server.C2sPort;

    public static async Task<BenchServer> StartAsync(bool nagle)
    {
        var server = await ProsodyServer.StartAsync(new ProsodyOptions { TcpNoDelay = !nagle });
        var bench = new BenchServer(server, nagle);
        try
        {
            foreach (var user in new[] { "alice", "bob" })
            {
                bench._passwords[user] = "pw-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
                await server.RegisterAsync(user, bench._passwords[user]);
            }
            return bench;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public string Password(string user) => _passwords[user];

    public Jid Jid(string user) => Xmpp.Client.Jid.Parse($"{user}@{Domain}");

    public XmppClientOptions Options(string user, IProtocolLogger? logger = null) => new(Jid(user), Password(user))
    {
        ConnectHost = "127.0.0.1",
        Port = Port,
        TrustedRoots = [Server.CaCertificate],
        ResponseTimeout = TimeSpan.FromSeconds(20),
        ProtocolLogger = logger,
    };

    /// <summary>The Apprise URL of the sender, with the receiver as its target.</summary>
    public string SenderUrl => $"xmpps://alice:{Uri.EscapeDataString(Password("alice"))}@{Domain}:{Port}/bob?xmpp=127.0.0.1";

    public Task<ReceiverProcess> StartReceiverAsync(string bodyPrefix, CancellationToken cancellationToken) =>
        ReceiverProcess.StartAsync(new ReceiverSettings($"bob@{Domain}", Password("bob"), "127.0.0.1", Port, Server.CaCertificatePemPath, bodyPrefix), cancellationToken);

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}

/// <summary>CPU time of this process and of the Prosody process (found in /proc by its private config path), to see which side a burst is bound by.</summary>
internal sealed class CpuMeter
{
    private readonly string _configPath;
    private readonly TimeSpan _selfStart;
    private readonly double _prosodyStart;

    public CpuMeter(BenchServer server)
    {
        _configPath = server.Server.ConfigPath;
        _selfStart = SelfCpu();
        _prosodyStart = ProsodyCpuMs();
    }

    private static TimeSpan SelfCpu()
    {
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    /// <summary>utime + stime in ms of every process whose command line names the private config (Prosody and its guard); NaN when /proc cannot be read.</summary>
    private double ProsodyCpuMs()
    {
        long ticks = 0;
        var found = false;
        foreach (var pid in ProsodyPids())
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                // Fields after the command name (which may hold spaces, so split after its closing parenthesis): utime is 14th, stime 15th.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                ticks += long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
                found = true;
            }
            catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException or IndexOutOfRangeException)
            {
                // A process that ended meanwhile.
            }
        }
        return found ? ticks * 10.0 : double.NaN; // USER_HZ is 100 on Linux
    }

    private IEnumerable<string> ProsodyPids()
    {
        if (!Directory.Exists("/proc"))
            yield break;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(dir);
            if (!name.All(char.IsAsciiDigit) || name == Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture))
                continue;
            string cmdline;
            try
            {
                cmdline = File.ReadAllText(Path.Combine(dir, "cmdline"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            if (cmdline.Contains(_configPath, StringComparison.Ordinal))
                yield return name;
        }
    }

    public string Describe() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"CPU: bench process {(SelfCpu() - _selfStart).TotalMilliseconds:0} ms, prosody {ProsodyCpuMs() - _prosodyStart:0} ms");
}
