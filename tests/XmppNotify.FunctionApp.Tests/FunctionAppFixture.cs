using System.Net;
using System.Net.Sockets;
using Xmpp.Notifications;
using Xmpp.Notifications.Tests.Notifier;
using XmppNotify.FunctionApp.Tests.HostProtocol;

namespace XmppNotify.FunctionApp.Tests;

/// <summary>
/// One real Prosody, one worker process of the built app behind the harness's host endpoint, and two JobHosts with the
/// real XMPP extension: one with the right password and one with a wrong one. Started once for the whole collection
/// (the worker takes a few seconds to start).
/// </summary>
public sealed class FunctionAppFixture : IAsyncLifetime
{
    public const string QueueName = "xmpp-notifications";

    private FunctionsHostHarness? _host;
    private OutputBindingHost? _outputs;
    private OutputBindingHost? _wrongPasswordOutputs;

    public NotifierFixture Xmpp { get; } = new();

    public FunctionsHostHarness Host => _host ?? throw new InvalidOperationException("not started");

    /// <summary>The host extension with the app's settings: delivers as alice.</summary>
    public OutputBindingHost Outputs => _outputs ?? throw new InvalidOperationException("not started");

    /// <summary>The same settings with a wrong password for alice: every delivery fails at authentication.</summary>
    public OutputBindingHost WrongPasswordOutputs => _wrongPasswordOutputs ?? throw new InvalidOperationException("not started");

    /// <summary>The app settings without the worker's own additions (no <see cref="HttpMessageDomainsSetting"/>).</summary>
    public IReadOnlyDictionary<string, string?> AppSettings { get; private set; } = new Dictionary<string, string?>();

    public string WrongPassword { get; } = "Wrong/" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>A login domain of <see cref="HttpMessageDomains"/> whose server port refuses connections.</summary>
    public const string UnreachableDomain = "unreachable.test";

    /// <summary>A login domain of <see cref="HttpMessageDomains"/> whose server accepts the connection and never says a word.</summary>
    public const string SilentDomain = "silent.test";

    private readonly TcpListener _silent = new(IPAddress.Loopback, 0);
    private readonly List<Socket> _silentConnections = [];
    private int _closedPort;

    public async Task InitializeAsync()
    {
        var appDirectory = FunctionAppOutput.Require();
        await Xmpp.InitializeAsync();
        _closedPort = ClosedPort();
        _silent.Start();
        _ = AcceptSilentlyAsync();
        var settings = Settings(Xmpp.Url("alice", "bob"), AppriseConfiguration());
        AppSettings = settings.AsReadOnly();
        var notifierOptions = new XmppNotifierOptions { ConfigureClient = o => o.TrustedRoots = [Xmpp.Server.CaCertificate] };
        _outputs = await OutputBindingHost.StartAsync(settings, notifierOptions);
        _wrongPasswordOutputs = await OutputBindingHost.StartAsync(Settings(Xmpp.Url("alice", "bob", password: WrongPassword), AppriseConfiguration(WrongPassword)), notifierOptions);

        // The worker sends POST /api/message itself: it gets the endpoint's setting, and trusts the test CA the way an
        // app would trust a private CA (SSL_CERT_FILE; an Apprise URL cannot name one).
        var worker = new Dictionary<string, string?>(settings, StringComparer.Ordinal)
        {
            [HttpMessageDomainsSetting] = HttpMessageDomains,
            ["SSL_CERT_FILE"] = Xmpp.Server.CaCertificatePemPath,
        };
        _host = await FunctionsHostHarness.StartAsync(appDirectory, worker.AsReadOnly());
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        if (_outputs is not null)
        {
            await _outputs.DisposeAsync();
        }

        if (_wrongPasswordOutputs is not null)
        {
            await _wrongPasswordOutputs.DisposeAsync();
        }

        _silent.Stop();
        lock (_silentConnections)
        {
            _silentConnections.ForEach(c => c.Dispose());
        }

        await Xmpp.DisposeAsync();
    }

    private static int ClosedPort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private async Task AcceptSilentlyAsync()
    {
        try
        {
            while (true)
            {
                var connection = await _silent.AcceptSocketAsync();
                lock (_silentConnections)
                {
                    _silentConnections.Add(connection);
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Stopped at dispose.
        }
    }

    /// <summary>
    /// The Apprise API key <see cref="AppriseKey"/>'s stored configuration (Apprise TEXT): carol's URL tagged ops and db,
    /// bob's tagged dev; with a wrong password for the JobHost whose deliveries fail.
    /// </summary>
    public string AppriseConfiguration(string? password = null) => $"""
        # Apprise configuration for POST /api/notify/{AppriseKey}
        ops, db={Xmpp.Url("alice", "carol", password: password)}
        dev={Xmpp.Url("alice", "bob", password: password)}
        """;

    public const string AppriseKey = "ops_team";

    public const string HttpMessageDomainsSetting = "XmppHttpMessageDomains";

    /// <summary>
    /// POST /api/message may log in to the test server's domain, connecting to it on loopback, and to two domains whose
    /// servers fail: one refuses connections, one never answers.
    /// </summary>
    public string HttpMessageDomains =>
        $"{Xmpp.Domain}=127.0.0.1:{Xmpp.Server.C2sPort}, {UnreachableDomain}=127.0.0.1:{_closedPort} {SilentDomain}=127.0.0.1:{((IPEndPoint)_silent.LocalEndpoint).Port}";

    /// <summary>The app settings, as the host gives them to itself (the extension) and to the worker (environment).</summary>
    private static Dictionary<string, string?> Settings(string xmppConnection, string appriseConfiguration) => new(StringComparer.Ordinal)
    {
        ["XmppConnection__" + AppriseKey] = appriseConfiguration,
        ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
        ["XmppStorageQueueConnection"] = "UseDevelopmentStorage=true",
        ["XmppStorageQueueName"] = QueueName,
        ["XmppConnection"] = xmppConnection,
    };
}

[CollectionDefinition(Name)]
public sealed class FunctionAppDefinition : ICollectionFixture<FunctionAppFixture>
{
    public const string Name = "Function app through the host protocol";
}
