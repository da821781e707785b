using System.Security.Cryptography;
using Xmpp.Client;
using Xmpp.TestServers;

namespace Xmpp.Notifications.Tests.Notifier;

/// <summary>A real Prosody with accounts alice, bob and carol, and helpers to build Apprise URLs and receiving sessions.</summary>
public class NotifierFixture : IAsyncLifetime
{
    private readonly Dictionary<string, string> _passwords = new(StringComparer.Ordinal);
    private ProsodyServer? _server;

    public ProsodyServer Server => _server ?? throw new InvalidOperationException("not started");

    public string Domain => Server.Domain;

    public string Password(string user) => _passwords[user];

    /// <summary>The Prosody configuration; defaults otherwise.</summary>
    protected virtual ProsodyOptions? ServerOptions => null;

    /// <summary>The accounts registered at start.</summary>
    protected virtual IEnumerable<string> Users => ["alice", "bob", "carol"];

    public async Task InitializeAsync()
    {
        _server = await ProsodyServer.StartAsync(ServerOptions);
        foreach (var user in Users)
        {
            _passwords[user] = "Pw/" + Convert.ToHexString(RandomNumberGenerator.GetBytes(6)) + "@:x";
            await Server.RegisterAsync(user, _passwords[user]);
        }
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
    }

    /// <summary>An Apprise URL for an account: <c>xmpps://user:pass@domain:port/{path}?{query}</c>, connecting to loopback.</summary>
    public string Url(string user, string path = "", string query = "", string? password = null) =>
        $"xmpps://{user}:{Uri.EscapeDataString(password ?? Password(user))}@{Domain}:{Server.C2sPort}/{path}?xmpp=127.0.0.1{(query.Length > 0 ? "&" + query : "")}";

    /// <summary>The notifier as deployed, plus trust in the test CA (an Apprise URL cannot name a CA).</summary>
    public XmppNotifier Notifier(Action<XmppClientOptions>? more = null) => new(options: new XmppNotifierOptions
    {
        ConfigureClient = o =>
        {
            o.TrustedRoots = [Server.CaCertificate];
            more?.Invoke(o);
        },
    });

    public Task<XmppClient> ReceiverAsync(string user) => Server.ReceiverAsync(user, Password(user));

    /// <summary>A slixmpp session for <paramref name="user"/>, answering receipt requests or not, asking the given JIDs for subscriptions.</summary>
    public Task<SlixmppPeer> PeerAsync(string user, bool receipts, params string[] subscribe) =>
        SlixmppPeer.StartAsync(new SlixmppPeerOptions
        {
            Jid = $"{user}@{Domain}",
            Password = Password(user),
            Host = "127.0.0.1",
            Port = Server.C2sPort,
            CaPemPath = Server.CaCertificatePemPath,
            Receipts = receipts,
            Subscribe = subscribe,
        });

    public XmppInbox Inbox() => new(new XmppNotifierOptions { ConfigureClient = o => o.TrustedRoots = [Server.CaCertificate] });

    public XmppContacts Contacts() => new(options: new XmppNotifierOptions { ConfigureClient = o => o.TrustedRoots = [Server.CaCertificate] });

    public Task<SlixmppPeer> IndependentReceiverAsync(string user, IEnumerable<string>? rooms = null, string? nick = null) =>
        SlixmppPeer.StartAsync($"{user}@{Domain}", Password(user), "127.0.0.1", Server.C2sPort, Server.CaCertificatePemPath, rooms, nick);
}

/// <summary>A Prosody of its own for receipt and presence tests: they change rosters and presence.</summary>
public sealed class TwoWayFixture : NotifierFixture
{
    protected override IEnumerable<string> Users => ["alice", "bob", "carol", "dave", "erin", "frank"];
}

/// <summary>A Prosody with its message archive (mod_mam) for inbox tests.</summary>
public sealed class ArchiveFixture : NotifierFixture
{
    protected override ProsodyOptions? ServerOptions => new() { Archive = true };
}
