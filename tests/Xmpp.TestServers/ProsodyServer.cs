using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;

namespace Xmpp.TestServers;

/// <summary>
/// A private Prosody 0.12 instance (own config, data, certificates and loopback ports) run as a guarded
/// foreground child process. Config comes from prosody.cfg.lua.in, shared with scripts/dev-prosody.sh.
/// </summary>
public sealed class ProsodyServer : IXmppTestServer
{
    private const int MaxPortAttempts = 3;
    private readonly ProsodyOptions options;
    private readonly TestCertificates certificates;
    private GuardedProcess? process;
    private bool disposed;

    private ProsodyServer(ProsodyOptions options, TestCertificates certificates, string dataDirectory)
    {
        this.options = options;
        this.certificates = certificates;
        DataDirectory = dataDirectory;
    }

    public string Domain => options.Domain;

    public string MucDomain => "conference." + options.Domain;

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "Same instance API as EjabberdServer.")]
    public string Host => "127.0.0.1";

    public int C2sPort { get; private set; }

    public int DirectTlsPort { get; private set; }

    /// <summary>Plain HTTP; WebSocket at <see cref="WebSocketUri"/>.</summary>
    public int HttpPort { get; private set; }

    /// <summary>HTTPS with the test certificate; secure WebSocket at <see cref="SecureWebSocketUri"/>.</summary>
    public int HttpsPort { get; private set; }

    public Uri WebSocketUri => new($"ws://{Host}:{HttpPort}/xmpp-websocket");

    public Uri SecureWebSocketUri => new($"wss://{Host}:{HttpsPort}/xmpp-websocket");

    public X509Certificate2 CaCertificate => certificates.CaCertificate;

    public string CaCertificatePemPath => Path.Combine(DataDirectory, "certs", "ca.pem");

    public TestCertificates Certificates => certificates;

    public string DataDirectory { get; }

    public string ConfigPath => Path.Combine(DataDirectory, "prosody.cfg.lua");

    public string LogPath => Path.Combine(DataDirectory, "prosody.log");

    /// <summary>How long the last start took until the c2s port answered with stream features.</summary>
    public TimeSpan LastStartDuration { get; private set; }

    public bool IsRunning => process is { HasExited: false };

    public static async Task<ProsodyServer> StartAsync(ProsodyOptions? options = null, CancellationToken ct = default)
    {
        options ??= new ProsodyOptions();
        var certificates = options.Certificates ?? TestCertificates.ForDomain(options.Domain);
        var dataDirectory = Path.Combine(Path.GetTempPath(), "xmpp-prosody-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path.Combine(dataDirectory, "data"));
        certificates.WritePemFiles(Path.Combine(dataDirectory, "certs"));
        var server = new ProsodyServer(options, certificates, dataDirectory);
        try
        {
            await server.StartOnFreePortsAsync(ct).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Creates an account with prosodyctl (about 0.2 s; works while the server runs).</summary>
    public async Task RegisterAsync(string user, string password, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(user);
        ArgumentException.ThrowIfNullOrEmpty(password);
        var result = await ProcessRunner.RunAsync(
            "prosodyctl",
            ["--config", ConfigPath, "register", user, Domain, password],
            TimeSpan.FromSeconds(30),
            ct: ct).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"prosodyctl register {user}@{Domain} failed with exit code {result.ExitCode}: {result.StandardError}{result.StandardOutput}");
        }
    }

    /// <summary>Stops Prosody cleanly (SIGTERM); data and ports are kept for <see cref="StartAgainAsync"/>.</summary>
    public async Task StopAsync(CancellationToken ct = default)
    {
        var running = process;
        process = null;
        if (running is null)
        {
            return;
        }

        running.Terminate();
        if (!await running.WaitForExitAsync(TimeSpan.FromSeconds(10), ct).ConfigureAwait(false))
        {
            running.Kill();
        }

        await running.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Kills Prosody (SIGKILL, no shutdown: sessions drop mid-stream); <see cref="StartAgainAsync"/> brings it back.</summary>
    public async Task KillAsync(CancellationToken ct = default)
    {
        var running = process;
        process = null;
        if (running is null)
        {
            return;
        }

        running.Kill();
        await running.WaitForExitAsync(TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);
        await running.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Starts again on the same ports with the same data (accounts, offline messages).</summary>
    public async Task StartAgainAsync(CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        await StopAsync(ct).ConfigureAwait(false);
        await LaunchAndWaitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>The last lines of the Prosody log, for failure messages.</summary>
    public string LogTail(int lines = 40) => ProcessRunner.Tail(LogPath, lines);

    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        if (process is { } running)
        {
            process = null;
            await running.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Leftover temp files are harmless.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }
    }

    private async Task StartOnFreePortsAsync(CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var ports = FreePorts.Take(4);
            (C2sPort, DirectTlsPort, HttpPort, HttpsPort) = (ports[0], ports[1], ports[2], ports[3]);
            WriteConfig();
            try
            {
                await LaunchAndWaitAsync(ct).ConfigureAwait(false);
                return;
            }
            catch (PortTakenException) when (attempt < MaxPortAttempts)
            {
                await StopAsync(ct).ConfigureAwait(false);
            }
        }
    }

    private void WriteConfig()
    {
        var debug = options.DebugLog || Environment.GetEnvironmentVariable("XMPP_TEST_SERVER_DEBUG") == "1";
        var optional = new List<string>();
        if (options.StreamManagement)
        {
            optional.Add("\"smacks\";");
        }

        if (options.WebSocket)
        {
            optional.Add("\"http\"; \"websocket\";");
        }

        var httpFiles = string.Empty;
        if (options.HttpFilesDirectory is { } files)
        {
            optional.Add("\"http_files\";");
            httpFiles = $"http_files_dir = \"{files}\"\nhttp_paths = {{ files = \"/\" }}\n";
        }

        if (options.Archive)
        {
            optional.Add("\"mam\";");
        }

        var plugins = string.Empty;
        if (options.Sasl2)
        {
            var directory = Path.Combine(DataDirectory, "plugins");
            ProsodySasl2Modules.WriteTo(directory);
            optional.AddRange(ProsodySasl2Modules.Modules.Select(m => $"\"{m}\";"));
            plugins = $"plugin_paths = {{ \"{directory}\" }}\n";
        }

        var values = new Dictionary<string, string>
        {
            ["DATA_DIR"] = DataDirectory,
            ["DOMAIN"] = Domain,
            ["C2S_PORT"] = C2sPort.ToString(CultureInfo.InvariantCulture),
            ["DIRECT_TLS_PORT"] = DirectTlsPort.ToString(CultureInfo.InvariantCulture),
            ["HTTP_PORT"] = options.WebSocket ? HttpPort.ToString(CultureInfo.InvariantCulture) : string.Empty,
            ["HTTPS_PORT"] = options.WebSocket ? HttpsPort.ToString(CultureInfo.InvariantCulture) : string.Empty,
            ["NAGLE"] = options.TcpNoDelay ? "false" : "true",
            ["LOG_LEVEL"] = debug ? "debug" : "info",
            ["OPTIONAL_MODULES"] = string.Join(' ', optional),
            ["DISABLED_MODULES"] = options.StreamManagement ? string.Empty : "\"smacks\";",
            ["PASSWORD_HASH"] = options.PasswordHash,
            ["REQUIRE_ENCRYPTION"] = options.AllowPlaintext ? "false" : "true",
            ["ALLOW_PLAIN"] = options.AllowPlaintext ? "true" : "false",
            ["EXTRA_CONFIG"] = ExtraListen() + plugins + httpFiles + (options.ExtraConfig ?? string.Empty),
        };
        File.WriteAllText(ConfigPath, ConfigTemplate.Render("prosody.cfg.lua.in", values));
    }

    // A later assignment in the global section overrides the template's loopback-only interfaces.
    private string ExtraListen() => options.ExtraListenAddress is { } address
        ? $"interfaces = {{ \"127.0.0.1\", \"{address}\" }}\n"
        : string.Empty;

    private async Task LaunchAndWaitAsync(CancellationToken ct)
    {
        var stopwatch = Stopwatch.StartNew();
        var logLengthBefore = File.Exists(LogPath) ? new FileInfo(LogPath).Length : 0;
        process = GuardedProcess.Start("prosody", ["--config", ConfigPath, "-F"], DataDirectory);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.StartTimeout);
        Exception? lastError = null;
        while (true)
        {
            if (process.HasExited)
            {
                await process.WaitForExitAsync(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
                ThrowIfPortTaken(logLengthBefore);
                throw new InvalidOperationException(
                    $"Prosody exited with code {process.ExitCode} while starting.\nOutput: {process.StandardOutputTail}{process.StandardErrorTail}\nLog tail ({LogPath}):\n{LogTail()}");
            }

            try
            {
                await XmppProbe.ReadStreamFeaturesAsync(Host, C2sPort, Domain, TimeSpan.FromSeconds(2), timeout.Token).ConfigureAwait(false);
                break;
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
            {
                lastError = e;
                if (timeout.IsCancellationRequested)
                {
                    ct.ThrowIfCancellationRequested();
                    throw new TimeoutException(
                        $"Prosody did not answer a stream header on port {C2sPort} within {options.StartTimeout.TotalSeconds} s ({lastError.Message}).\nLog tail ({LogPath}):\n{LogTail()}",
                        lastError);
                }

                await Task.Delay(50, ct).ConfigureAwait(false);
            }
        }

        // Prosody keeps running when one of its listeners cannot bind, so a port taken in the meantime only shows in the log.
        ThrowIfPortTaken(logLengthBefore);
        LastStartDuration = stopwatch.Elapsed;
    }

    private void ThrowIfPortTaken(long logOffset)
    {
        string log;
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            stream.Seek(logOffset, SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            log = reader.ReadToEnd();
        }
        catch (IOException)
        {
            return;
        }

        if (log.Contains("Failed to open server port", StringComparison.Ordinal) ||
            log.Contains("Address already in use", StringComparison.OrdinalIgnoreCase))
        {
            throw new PortTakenException(LogTail());
        }
    }

    private sealed class PortTakenException(string logTail) : Exception("A Prosody port was taken: " + logTail);
}
