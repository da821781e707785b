using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Xmpp.TestServers;

namespace Xmpp.Client.Tests.Integration;

/// <summary>An account on a test server; the password is random per run.</summary>
public sealed record TestAccount(string User, string Password, Jid Jid);

/// <summary>A private server with accounts alice, bob and carol (random passwords), options pointing at it, receiver sessions.</summary>
public abstract class ServerFixture : IAsyncLifetime
{
    private readonly Dictionary<string, TestAccount> _accounts = new(StringComparer.Ordinal);
    private IXmppTestServer? _server;

    public IXmppTestServer Server => _server ?? throw new InvalidOperationException("not started");

    public string Domain => Server.Domain;

    public string MucDomain => Server.MucDomain;

    public int C2sPort => Server.C2sPort;

    public int DirectTlsPort => Server.DirectTlsPort;

    public X509Certificate2 Ca => Server.CaCertificate;

    public TestAccount this[string user] => _accounts[user];

    protected abstract Task<IXmppTestServer> StartServerAsync();

    public async Task InitializeAsync()
    {
        _server = await StartServerAsync();
        foreach (var user in new[] { "alice", "bob", "carol" })
        {
            var password = "pw-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
            await Server.RegisterAsync(user, password);
            _accounts[user] = new TestAccount(user, password, Jid.Parse($"{user}@{Domain}"));
        }
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
    }

    /// <summary>Options for an account, connecting to the loopback server and trusting the test CA.</summary>
    public XmppClientOptions Options(string user, SecureSocketOptions security = SecureSocketOptions.StartTls, string? password = null) =>
        new(this[user].Jid, password ?? this[user].Password)
        {
            ConnectHost = Server.Host,
            Port = security == SecureSocketOptions.DirectTls ? DirectTlsPort : C2sPort,
            Security = security,
            TrustedRoots = [Ca],
            ConnectTimeout = TimeSpan.FromSeconds(10),
            ResponseTimeout = TimeSpan.FromSeconds(10),
        };

    public Task<XmppClient> ReceiverAsync(string user, string? resource = null) => Server.ReceiverAsync(user, this[user].Password, resource);
}

public sealed class ProsodyFixture : ServerFixture
{
    public int HttpPort => ((ProsodyServer)Server).HttpPort;

    protected override async Task<IXmppTestServer> StartServerAsync() => await ProsodyServer.StartAsync();
}

/// <summary>A Prosody that allows plaintext logins and has no stream management: mode none, and the ping fallback.</summary>
public sealed class PlaintextProsodyFixture : ServerFixture
{
    protected override async Task<IXmppTestServer> StartServerAsync() =>
        await ProsodyServer.StartAsync(new ProsodyOptions { AllowPlaintext = true, StreamManagement = false });
}

public sealed class EjabberdFixture : ServerFixture
{
    protected override async Task<IXmppTestServer> StartServerAsync() => await EjabberdServer.StartAsync();
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
