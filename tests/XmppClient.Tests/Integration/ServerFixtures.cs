using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using Xmpp.TestServers;

namespace Xmpp.Tests.Integration;

/// <summary>An account on a test server; the password is random per run.</summary>
public sealed record TestAccount(string User, string Password, Jid Jid);

/// <summary>Shared pieces of the server fixtures: accounts, client options pointing at the server, receiver sessions.</summary>
public abstract class ServerFixtureBase : IAsyncLifetime
{
    private readonly Dictionary<string, TestAccount> _accounts = new(StringComparer.Ordinal);

    public abstract string Domain { get; }

    public abstract string MucDomain { get; }

    public abstract int C2sPort { get; }

    public abstract int DirectTlsPort { get; }

    public abstract X509Certificate2 Ca { get; }

    public TestAccount this[string user] => _accounts[user];

    protected abstract Task StartServerAsync();

    protected abstract Task RegisterAsync(string user, string password);

    protected abstract Task StopServerAsync();

    protected virtual IEnumerable<string> AccountNames => ["alice", "bob", "carol"];

    public async Task InitializeAsync()
    {
        await StartServerAsync();
        foreach (var user in AccountNames)
        {
            var password = "pw-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
            await RegisterAsync(user, password);
            _accounts[user] = new TestAccount(user, password, Jid.Parse($"{user}@{Domain}"));
        }
    }

    public Task DisposeAsync() => StopServerAsync();

    /// <summary>Options for an account, connecting to the loopback server and trusting the test CA.</summary>
    public XmppClientOptions Options(string user, SecureSocketOptions security = SecureSocketOptions.StartTls, string? password = null) =>
        new(this[user].Jid, password ?? this[user].Password)
        {
            ConnectHost = "127.0.0.1",
            Port = security == SecureSocketOptions.DirectTls ? DirectTlsPort : C2sPort,
            Security = security,
            TrustedRoots = [Ca],
            ConnectTimeout = TimeSpan.FromSeconds(10),
            ResponseTimeout = TimeSpan.FromSeconds(10),
        };

    /// <summary>A logged-in session that announced presence, so it receives messages sent to the bare JID.</summary>
    public async Task<XmppClient> ReceiverAsync(string user, string? resource = null)
    {
        var options = Options(user);
        options.Resource = resource;
        var client = new XmppClient(options);
        await client.LoginAsync();
        await client.SendPresenceAsync();
        // Presence is handled by the server before anything sent after this round trip.
        await client.PingAsync();
        return client;
    }
}

public sealed class ProsodyFixture : ServerFixtureBase
{
    private ProsodyServer? _server;

    public ProsodyServer Server => _server ?? throw new InvalidOperationException("not started");

    public override string Domain => Server.Domain;

    public override string MucDomain => Server.MucDomain;

    public override int C2sPort => Server.C2sPort;

    public override int DirectTlsPort => Server.DirectTlsPort;

    public override X509Certificate2 Ca => Server.CaCertificate;

    protected override async Task StartServerAsync() => _server = await ProsodyServer.StartAsync();

    protected override Task RegisterAsync(string user, string password) => Server.RegisterAsync(user, password);

    protected override async Task StopServerAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
    }
}

/// <summary>A Prosody that allows plaintext logins and has no stream management: mode none, and the ping fallback.</summary>
public sealed class PlaintextProsodyFixture : ServerFixtureBase
{
    private ProsodyServer? _server;

    public ProsodyServer Server => _server ?? throw new InvalidOperationException("not started");

    public override string Domain => Server.Domain;

    public override string MucDomain => Server.MucDomain;

    public override int C2sPort => Server.C2sPort;

    public override int DirectTlsPort => Server.DirectTlsPort;

    public override X509Certificate2 Ca => Server.CaCertificate;

    protected override async Task StartServerAsync() =>
        _server = await ProsodyServer.StartAsync(new ProsodyOptions { AllowPlaintext = true, StreamManagement = false });

    protected override Task RegisterAsync(string user, string password) => Server.RegisterAsync(user, password);

    protected override async Task StopServerAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
    }
}

public sealed class EjabberdFixture : ServerFixtureBase
{
    private EjabberdServer? _server;

    public EjabberdServer Server => _server ?? throw new InvalidOperationException("not started");

    public override string Domain => Server.Domain;

    public override string MucDomain => Server.MucDomain;

    public override int C2sPort => Server.C2sPort;

    public override int DirectTlsPort => Server.DirectTlsPort;

    public override X509Certificate2 Ca => Server.CaCertificate;

    protected override IEnumerable<string> AccountNames => ["alice", "bob"];

    protected override async Task StartServerAsync() => _server = await EjabberdServer.StartAsync();

    protected override Task RegisterAsync(string user, string password) => Server.RegisterAsync(user, password);

    protected override async Task StopServerAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
    }
}

public static class ClientTestExtensions
{
    /// <summary>Waits for the first received message that matches; fails with what did arrive.</summary>
    public static async Task<ReceivedMessage> WaitForAsync(this XmppClient client, Func<ReceivedMessage, bool> match, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        var seen = new List<string>();
        try
        {
            await foreach (var message in client.Messages.ReadAllAsync(cts.Token))
            {
                if (match(message))
                    return message;
                seen.Add(message.Xml);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ChannelClosedException)
        {
        }
        throw new TimeoutException("The expected message did not arrive. Received instead: " + (seen.Count == 0 ? "nothing" : string.Join(Environment.NewLine, seen)));
    }
}

/// <summary>Records the protocol exchange, to assert on what crossed the wire (and what did not).</summary>
public sealed class RecordingProtocolLogger : IProtocolLogger
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public string All => string.Join("\n", _lines);

    public void LogConnect(string host, int port, SecureSocketOptions security) => _lines.Enqueue($"connect {host}:{port} {security}");

    public void LogClient(string text) => _lines.Enqueue("C: " + text);

    public void LogServer(string text) => _lines.Enqueue("S: " + text);
}
