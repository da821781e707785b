using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Security.Cryptography.X509Certificates;

namespace Xmpp.TestServers;

public sealed class EjabberdOptions
{
    public string Domain { get; init; } = "localhost";

    /// <summary>auth_scram_hash: "sha256" offers SCRAM-SHA-256(-PLUS) and PLAIN; "sha" offers SCRAM-SHA-1.</summary>
    public string ScramHash { get; init; } = "sha256";

    /// <summary>Allows streams without STARTTLS (starttls_required: false).</summary>
    public bool AllowPlaintext { get; init; }

    /// <summary>A second address for the c2s and direct-TLS listeners besides 127.0.0.1 (e.g. an emulated WAN link); null for loopback only.</summary>
    public string? ExtraListenAddress { get; init; }

    /// <summary>Raw YAML appended at the end of ejabberd.yml (top level).</summary>
    public string? ExtraConfig { get; init; }

    public TestCertificates? Certificates { get; init; }

    /// <summary>First start takes ~4 s (Mnesia schema); restarts ~2 s.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(40);
}

/// <summary>
/// A private ejabberd 23.01 node (own config dir, spool, logs, node name and distribution port, no epmd)
/// run in the foreground under a process guard.
/// </summary>
public sealed class EjabberdServer : IXmppTestServer
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(15) };
    private readonly EjabberdOptions options;
    private readonly TestCertificates certificates;
    private GuardedProcess? process;
    private bool disposed;

    private EjabberdServer(EjabberdOptions options, TestCertificates certificates, string baseDirectory)
    {
        this.options = options;
        this.certificates = certificates;
        BaseDirectory = baseDirectory;
        NodeName = "xts" + Guid.NewGuid().ToString("N")[..10] + "@localhost";
    }

    public string Domain => options.Domain;

    public string MucDomain => "conference." + options.Domain;

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "Same instance API as ProsodyServer.")]
    public string Host => "127.0.0.1";

    public int C2sPort { get; private set; }

    public int DirectTlsPort { get; private set; }

    /// <summary>Plain HTTP: WebSocket at /ws and the admin API at /api (loopback only).</summary>
    public int HttpPort { get; private set; }

    public int HttpsPort { get; private set; }

    public int DistributionPort { get; private set; }

    public Uri WebSocketUri => new($"ws://{Host}:{HttpPort}/ws");

    public Uri SecureWebSocketUri => new($"wss://{Host}:{HttpsPort}/ws");

    public string NodeName { get; }

    public X509Certificate2 CaCertificate => certificates.CaCertificate;

    public string CaCertificatePemPath => Path.Combine(ConfigDirectory, "ca.pem");

    public TestCertificates Certificates => certificates;

    public string BaseDirectory { get; }

    public string ConfigDirectory => Path.Combine(BaseDirectory, "config");

    public string SpoolDirectory => Path.Combine(BaseDirectory, "spool");

    public string LogDirectory => Path.Combine(BaseDirectory, "logs");

    public string LogPath => Path.Combine(LogDirectory, "ejabberd.log");

    public TimeSpan LastStartDuration { get; private set; }

    public static async Task<EjabberdServer> StartAsync(EjabberdOptions? options = null, CancellationToken ct = default)
    {
        options ??= new EjabberdOptions();
        var certificates = options.Certificates ?? TestCertificates.ForDomain(options.Domain);
        var baseDirectory = Path.Combine(Path.GetTempPath(), "xmpp-ejabberd-" + Guid.NewGuid().ToString("N")[..12]);
        var server = new EjabberdServer(options, certificates, baseDirectory);
        Directory.CreateDirectory(server.ConfigDirectory);
        Directory.CreateDirectory(server.SpoolDirectory);
        Directory.CreateDirectory(server.LogDirectory);
        certificates.WritePemFiles(server.ConfigDirectory);
        var ports = FreePorts.Take(5);
        (server.C2sPort, server.DirectTlsPort, server.HttpPort, server.HttpsPort, server.DistributionPort) = (ports[0], ports[1], ports[2], ports[3], ports[4]);
        server.WriteConfig();
        try
        {
            await server.LaunchAndWaitAsync(ct).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Creates an account through mod_http_api (one HTTP call; ejabberdctl would start an Erlang VM per call).</summary>
    public async Task RegisterAsync(string user, string password, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(user);
        ArgumentException.ThrowIfNullOrEmpty(password);
        // ejabberd_http rejects chunked bodies (what PostAsJsonAsync sends), so serialize up front to get a Content-Length.
        var json = JsonSerializer.Serialize(new Dictionary<string, string> { ["user"] = user, ["host"] = Domain, ["password"] = password });
        using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        using var response = await Http.PostAsync(new Uri($"http://{Host}:{HttpPort}/api/register"), content, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            throw new InvalidOperationException($"ejabberd register {user}@{Domain} failed: {(int)response.StatusCode} {body}");
        }
    }

    /// <summary>Runs an ejabberdctl command against this node (each call starts an Erlang VM, ~0.5-2 s).</summary>
    public Task<ProcessResult> CtlAsync(IEnumerable<string> arguments, CancellationToken ct = default) =>
        ProcessRunner.RunAsync(
            "ejabberdctl",
            ["--config-dir", ConfigDirectory, "--spool", SpoolDirectory, "--logs", LogDirectory, .. arguments],
            TimeSpan.FromSeconds(60),
            workingDirectory: SpoolDirectory,
            ct: ct);

    /// <summary>Stops cleanly with <c>ejabberdctl stop</c> and waits for the node to exit; data and ports are kept.</summary>
    public async Task StopAsync(CancellationToken ct = default)
    {
        var running = process;
        process = null;
        if (running is null)
        {
            return;
        }

        if (!running.HasExited)
        {
            await CtlAsync(["stop"], ct).ConfigureAwait(false);
            if (!await running.WaitForExitAsync(TimeSpan.FromSeconds(15), ct).ConfigureAwait(false))
            {
                running.Kill();
            }
        }

        await running.DisposeAsync().ConfigureAwait(false);
    }

    public async Task StartAgainAsync(CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        await StopAsync(ct).ConfigureAwait(false);
        await LaunchAndWaitAsync(ct).ConfigureAwait(false);
    }

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
            running.Kill();
            await running.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            Directory.Delete(BaseDirectory, recursive: true);
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

    private void WriteConfig()
    {
        var debug = Environment.GetEnvironmentVariable("XMPP_TEST_SERVER_DEBUG") == "1";
        var values = new Dictionary<string, string>
        {
            ["CONFIG_DIR"] = ConfigDirectory,
            ["DOMAIN"] = Domain,
            ["C2S_PORT"] = C2sPort.ToString(CultureInfo.InvariantCulture),
            ["DIRECT_TLS_PORT"] = DirectTlsPort.ToString(CultureInfo.InvariantCulture),
            ["HTTP_PORT"] = HttpPort.ToString(CultureInfo.InvariantCulture),
            ["HTTPS_PORT"] = HttpsPort.ToString(CultureInfo.InvariantCulture),
            ["LOG_LEVEL"] = debug ? "debug" : "info",
            ["SCRAM_HASH"] = options.ScramHash,
            ["STARTTLS_REQUIRED"] = options.AllowPlaintext ? "false" : "true",
            ["EXTRA_CONFIG"] = options.ExtraConfig ?? string.Empty,
            ["EXTRA_LISTENERS"] = ExtraListeners(),
        };
        File.WriteAllText(Path.Combine(ConfigDirectory, "ejabberd.yml"), ConfigTemplate.Render("ejabberd.yml.in", values));

        // As root ejabberdctl would switch to the ejabberd user; a fixed distribution port avoids epmd.
        File.WriteAllText(Path.Combine(ConfigDirectory, "ejabberdctl.cfg"), string.Join('\n',
            "EXEC_CMD=as_current_user",
            $"ERLANG_NODE={NodeName}",
            $"ERL_DIST_PORT={DistributionPort.ToString(CultureInfo.InvariantCulture)}",
            "EJABBERD_BYPASS_WARNINGS=true",
            "ERL_OPTIONS=\"-env ERL_CRASH_DUMP_BYTES 0\"",
            string.Empty));
        File.WriteAllText(Path.Combine(ConfigDirectory, "inetrc"), string.Join('\n',
            "{lookup,[\"file\",\"native\"]}.",
            "{host,{127,0,0,1}, [\"localhost\"]}.",
            "{file, resolv, \"/etc/resolv.conf\"}.",
            string.Empty));
    }

    /// <summary>The c2s listeners again on the extra address (ejabberd binds one address per listener).</summary>
    private string ExtraListeners()
    {
        if (options.ExtraListenAddress is not { } address)
        {
            return string.Empty;
        }

        var c2s = C2sPort.ToString(CultureInfo.InvariantCulture);
        var tls = DirectTlsPort.ToString(CultureInfo.InvariantCulture);
        var starttlsRequired = options.AllowPlaintext ? "false" : "true";
        return $"""
              -
                port: {c2s}
                ip: "{address}"
                module: ejabberd_c2s
                max_stanza_size: 10485760
                starttls: true
                starttls_required: {starttlsRequired}
              -
                port: {tls}
                ip: "{address}"
                module: ejabberd_c2s
                max_stanza_size: 10485760
                tls: true

            """;
    }

    private async Task LaunchAndWaitAsync(CancellationToken ct)
    {
        var stopwatch = Stopwatch.StartNew();
        process = GuardedProcess.Start(
            "ejabberdctl",
            ["--config-dir", ConfigDirectory, "--spool", SpoolDirectory, "--logs", LogDirectory, "foreground"],
            SpoolDirectory);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.StartTimeout);
        var c2sReady = false;
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException(
                    $"ejabberd exited with code {process.ExitCode} while starting.\nOutput: {process.StandardOutputTail}{process.StandardErrorTail}\nLog tail ({LogPath}):\n{LogTail()}");
            }

            try
            {
                if (!c2sReady)
                {
                    await XmppProbe.ReadStreamFeaturesAsync(Host, C2sPort, Domain, TimeSpan.FromSeconds(2), timeout.Token).ConfigureAwait(false);
                    c2sReady = true;
                }

                // The c2s listener opens before the HTTP API; registration needs the latter.
                using var response = await Http.PostAsync(
                    new Uri($"http://{Host}:{HttpPort}/api/status"), new StringContent("{}"), timeout.Token).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    break;
                }
            }
            catch (Exception e) when (e is IOException or HttpRequestException or System.Net.Sockets.SocketException or OperationCanceledException)
            {
                if (timeout.IsCancellationRequested)
                {
                    ct.ThrowIfCancellationRequested();
                    throw new TimeoutException(
                        $"ejabberd was not ready within {options.StartTimeout.TotalSeconds} s ({e.Message}).\nLog tail ({LogPath}):\n{LogTail()}",
                        e);
                }
            }

            await Task.Delay(100, ct).ConfigureAwait(false);
        }

        LastStartDuration = stopwatch.Elapsed;
    }
}
