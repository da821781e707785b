using System.Security.Cryptography;
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

    public Jid Jid(string user) => Xmpp.Jid.Parse($"{user}@{Domain}");

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
