using System.Security.Authentication;
using System.Security.Cryptography;
using Xmpp.Client;

namespace Xmpp.TestServers.Tests;

public sealed class EjabberdFixture : IAsyncLifetime
{
    public EjabberdServer Server { get; private set; } = null!;

    public string DavePassword { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));

    public async Task InitializeAsync()
    {
        Server = await EjabberdServer.StartAsync();
        await Server.RegisterAsync("dave", DavePassword);
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

public sealed class EjabberdServerTests(EjabberdFixture fixture) : IClassFixture<EjabberdFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private EjabberdServer Server => fixture.Server;

    [Theory]
    [InlineData(SslProtocols.Tls12)]
    [InlineData(SslProtocols.Tls13)]
    public async Task Offers_scram_sha_256_plus_after_starttls(SslProtocols protocol)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var (features, negotiated) = await RawXmpp.StartTlsAndReadFeaturesAsync(
            Server.Host, Server.C2sPort, Server.Domain, Server.Certificates, protocol, cts.Token);
        Assert.Equal(protocol, negotiated);
        Assert.Contains("<mechanism>SCRAM-SHA-256-PLUS</mechanism>", features, StringComparison.Ordinal);
        Assert.Contains("<mechanism>SCRAM-SHA-256</mechanism>", features, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Slixmpp_peer_logs_in_and_receives_from_go_sendxmpp()
    {
        await using var dave = await SlixmppPeer.StartAsync(
            $"dave@{Server.Domain}", fixture.DavePassword, Server.Host, Server.C2sPort, Server.CaCertificatePemPath);
        Assert.NotNull(dave.BoundJid);
        var text = "ejabberd " + Guid.NewGuid().ToString("N");
        var result = await GoSendxmpp.SendAsync(new GoSendxmppRequest
        {
            Jid = $"dave@{Server.Domain}",
            Password = fixture.DavePassword,
            Host = Server.Host,
            Port = Server.DirectTlsPort,
            DirectTls = true,
            Recipient = $"dave@{Server.Domain}",
            Message = text,
            CaPemPath = Server.CaCertificatePemPath,
        });
        Assert.True(result.ExitCode == 0, $"go-sendxmpp failed ({result.ExitCode}): {result.StandardError}{result.StandardOutput}");
        await dave.WaitForMessageAsync(m => m.Body?.Contains(text, StringComparison.Ordinal) == true, Timeout);
    }
}
