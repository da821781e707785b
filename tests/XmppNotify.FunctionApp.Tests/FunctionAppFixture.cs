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

    public string WrongPassword { get; } = "Wrong/" + Guid.NewGuid().ToString("N")[..12];

    public async Task InitializeAsync()
    {
        var appDirectory = FunctionAppOutput.Require();
        await Xmpp.InitializeAsync();
        var settings = Settings(Xmpp.Url("alice", "bob"), AppriseConfiguration());
        settings[HttpMessageDomainsSetting] = HttpMessageDomains;
        var notifierOptions = new XmppNotifierOptions { ConfigureClient = o => o.TrustedRoots = [Xmpp.Server.CaCertificate] };
        _outputs = await OutputBindingHost.StartAsync(settings, notifierOptions);
        _wrongPasswordOutputs = await OutputBindingHost.StartAsync(Settings(Xmpp.Url("alice", "bob", password: WrongPassword), AppriseConfiguration(WrongPassword)), notifierOptions);
        _host = await FunctionsHostHarness.StartAsync(appDirectory, settings.AsReadOnly());
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

        await Xmpp.DisposeAsync();
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

    /// <summary>POST /api/message may log in to the test server's domain only, connecting to it on loopback; the wrong-password JobHost has no such setting.</summary>
    public string HttpMessageDomains => $"{Xmpp.Domain}=127.0.0.1:{Xmpp.Server.C2sPort}";

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
