using System.Security.Cryptography;
using Xmpp.TestServers;

namespace XmppNotify.Cli.Tests;

/// <summary>A private Prosody with accounts alice and bob whose passwords need percent-encoding in a URL.</summary>
public class ProsodyFixture : IAsyncLifetime
{
    private readonly Dictionary<string, string> _passwords = new(StringComparer.Ordinal);
    private ProsodyServer? _server;

    public ProsodyServer Server => _server ?? throw new InvalidOperationException("Prosody did not start");

    public string Domain => Server.Domain;

    public string Password(string user) => _passwords[user];

    /// <summary>
    /// The CLI trusts the test CA the way a user would trust a private CA: .NET on Linux reads its root store from the
    /// OpenSSL locations, and SSL_CERT_FILE replaces the default bundle (an Apprise URL cannot name a CA).
    /// </summary>
    public IReadOnlyDictionary<string, string?> TrustTestCa => new Dictionary<string, string?> { ["SSL_CERT_FILE"] = Server.CaCertificatePemPath };

    /// <summary>The Prosody configuration; defaults otherwise.</summary>
    protected virtual ProsodyOptions? Options => null;

    public async Task InitializeAsync()
    {
        _server = await ProsodyServer.StartAsync(Options);
        foreach (var user in new[] { "alice", "bob" })
        {
            _passwords[user] = "Pw/" + Convert.ToHexString(RandomNumberGenerator.GetBytes(6)) + "@:#?&x";
            await Server.RegisterAsync(user, _passwords[user]);
        }
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
    }

    /// <summary><c>xmpps://user:pass@domain:port/{path}?xmpp=127.0.0.1&amp;{query}</c> (STARTTLS on the test server's c2s port).</summary>
    public string Url(string user, string path, string query = "", string? password = null) =>
        $"xmpps://{user}:{Uri.EscapeDataString(password ?? Password(user))}@{Domain}:{Server.C2sPort}/{path}?xmpp=127.0.0.1{(query.Length > 0 ? "&" + query : "")}";

    public Task<SlixmppPeer> ReceiverAsync(string user) =>
        SlixmppPeer.StartAsync($"{user}@{Domain}", Password(user), Server.Host, Server.C2sPort, Server.CaCertificatePemPath);
}

/// <summary>A Prosody with its message archive (mod_mam).</summary>
public sealed class ArchiveProsodyFixture : ProsodyFixture
{
    protected override ProsodyOptions? Options => new() { Archive = true };
}

/// <summary>A Prosody that also offers SASL2, Bind 2 and FAST (patched prosody-modules copies).</summary>
public sealed class Sasl2ProsodyFixture : ProsodyFixture
{
    protected override ProsodyOptions? Options => new() { Sasl2 = true };
}
