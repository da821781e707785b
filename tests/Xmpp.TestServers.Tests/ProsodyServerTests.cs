using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Xmpp.Client;

namespace Xmpp.TestServers.Tests;

public sealed class ProsodyServerTests(ProsodyFixture fixture) : IClassFixture<ProsodyFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private ProsodyServer Server => fixture.Server;

    [Fact]
    public async Task C2s_port_offers_starttls_and_registered_accounts_exist()
    {
        var features = await XmppProbe.ReadStreamFeaturesAsync(Server.Host, Server.C2sPort, Server.Domain, Timeout);
        Assert.Contains("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'", features, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(Server.DataDirectory, "data", Server.Domain, "accounts", "alice.dat")));
        Assert.True(File.Exists(Path.Combine(Server.DataDirectory, "data", Server.Domain, "accounts", "bob.dat")));
    }

    [Fact]
    public async Task Direct_tls_port_presents_a_certificate_from_the_generated_ca()
    {
        using var cts = new CancellationTokenSource(Timeout);
        using var client = new TcpClient();
        await client.ConnectAsync(Server.Host, Server.DirectTlsPort, cts.Token);
        await using var tls = new SslStream(client.GetStream(), false, Server.Certificates.ValidationCallback(Server.Domain));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = Server.Domain }, cts.Token);
        Assert.True(tls.IsAuthenticated);
        Assert.NotNull(tls.RemoteCertificate);
        Assert.False(Server.Certificates.Validate(TestCertificates.CreateUntrustedSelfSigned(Server.Domain), Server.Domain));
        Assert.False(Server.Certificates.Validate(tls.RemoteCertificate, "example.org"));
    }

    [Fact]
    public async Task Starttls_then_features_offer_scram()
    {
        using var cts = new CancellationTokenSource(Timeout);
        var (features, _) = await RawXmpp.StartTlsAndReadFeaturesAsync(
            Server.Host, Server.C2sPort, Server.Domain, Server.Certificates, SslProtocols.Tls12, cts.Token);
        Assert.Contains("<mechanism>SCRAM-SHA-1</mechanism>", features, StringComparison.Ordinal);
        Assert.Contains("<mechanism>SCRAM-SHA-1-PLUS</mechanism>", features, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Slixmpp_peer_receives_a_message_sent_by_go_sendxmpp()
    {
        Assert.True(GoSendxmpp.IsInstalled, "go-sendxmpp is not installed");
        await using var bob = await SlixmppPeer.StartAsync(
            $"bob@{Server.Domain}", fixture.BobPassword, Server.Host, Server.C2sPort, Server.CaCertificatePemPath);
        var text = "hello from go-sendxmpp " + Guid.NewGuid().ToString("N");
        var result = await GoSendxmpp.SendAsync(new GoSendxmppRequest
        {
            Jid = $"alice@{Server.Domain}",
            Password = fixture.AlicePassword,
            Host = Server.Host,
            Port = Server.C2sPort,
            Recipient = $"bob@{Server.Domain}",
            Message = text,
            CaPemPath = Server.CaCertificatePemPath,
        });
        Assert.True(result.ExitCode == 0, $"go-sendxmpp failed ({result.ExitCode}): {result.StandardError}{result.StandardOutput}");
        var received = await bob.WaitForMessageAsync(m => m.Body?.Contains(text, StringComparison.Ordinal) == true, Timeout);
        Assert.StartsWith($"alice@{Server.Domain}", received.From, StringComparison.Ordinal);
        Assert.False(received.Delayed);
    }

    [Fact]
    public async Task Slixmpp_peer_joins_a_room_created_on_join_over_direct_tls()
    {
        var room = $"room{Guid.NewGuid():N}"[..16] + "@" + Server.MucDomain;
        await using var bob = await SlixmppPeer.StartAsync(new SlixmppPeerOptions
        {
            Jid = $"bob@{Server.Domain}",
            Password = fixture.BobPassword,
            Host = Server.Host,
            Port = Server.DirectTlsPort,
            DirectTls = true,
            CaPemPath = Server.CaCertificatePemPath,
            Rooms = [room],
            Nick = "bobby",
        });
        Assert.NotNull(bob.BoundJid);
        await Assert.ThrowsAsync<TimeoutException>(() => bob.WaitForMessageAsync(m => m.Body == "never sent", TimeSpan.FromMilliseconds(200)));
    }
}
