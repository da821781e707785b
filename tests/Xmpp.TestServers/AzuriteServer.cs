using System.Diagnostics;
using System.Net.Http;

namespace Xmpp.TestServers;

/// <summary>
/// A private Azurite (the Azure Storage emulator, npm package <c>azurite</c>, installed by scripts/install-test-deps.sh)
/// with blob and queue services on free loopback ports, in memory, telemetry off. Its well-known development account
/// is reached through <see cref="ConnectionString"/>.
/// </summary>
public sealed class AzuriteServer : IAsyncDisposable
{
    /// <summary>Azurite's published development account key (the same in every installation; not a secret).</summary>
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly GuardedProcess _process;
    private readonly string _directory;

    private AzuriteServer(GuardedProcess process, string directory, int blobPort, int queuePort)
    {
        _process = process;
        _directory = directory;
        BlobPort = blobPort;
        QueuePort = queuePort;
    }

    public int BlobPort { get; }

    public int QueuePort { get; }

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{BlobPort}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{QueuePort}/devstoreaccount1;";

    /// <summary>The path of the azurite executable, or null when it is not installed.</summary>
    public static string? Executable() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "azurite")).FirstOrDefault(File.Exists);

    public static async Task<AzuriteServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var executable = Executable() ?? throw new InvalidOperationException("azurite is not installed; run scripts/install-test-deps.sh (npm install -g azurite).");
        var ports = FreePorts.Take(3);
        var directory = Directory.CreateTempSubdirectory("azurite-").FullName;
        string[] arguments =
        [
            "--silent", "--inMemoryPersistence", "--disableTelemetry", "--skipApiVersionCheck",
            "--blobHost", "127.0.0.1", "--blobPort", ports[0].ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--queueHost", "127.0.0.1", "--queuePort", ports[1].ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--tableHost", "127.0.0.1", "--tablePort", ports[2].ToString(System.Globalization.CultureInfo.InvariantCulture),
        ];
        var process = GuardedProcess.Start(executable, arguments, directory);
        var server = new AzuriteServer(process, directory, ports[0], ports[1]);
        try
        {
            var started = Stopwatch.StartNew();
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (process.HasExited)
                    throw new InvalidOperationException($"azurite exited with code {process.ExitCode}: {process.StandardErrorTail}{process.StandardOutputTail}");
                if (await AnswersAsync(http, ports[0], cancellationToken).ConfigureAwait(false) &&
                    await AnswersAsync(http, ports[1], cancellationToken).ConfigureAwait(false))
                    return server;
                if (started.Elapsed > StartTimeout)
                    throw new TimeoutException($"azurite did not listen within {StartTimeout.TotalSeconds} s: {process.StandardErrorTail}{process.StandardOutputTail}");
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<bool> AnswersAsync(HttpClient http, int port, CancellationToken cancellationToken)
    {
        try
        {
            // Any HTTP answer (403 without a signature) means the service listens.
            using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/devstoreaccount1?comp=list"), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync().ConfigureAwait(false);
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the temp cleaner.
        }
    }
}
