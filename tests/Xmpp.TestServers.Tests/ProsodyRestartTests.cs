using System.Security.Cryptography;

namespace Xmpp.TestServers.Tests;

public sealed class ProsodyRestartTests
{
    [Fact]
    public async Task Stop_and_start_again_keeps_port_and_accounts()
    {
        await using var server = await ProsodyServer.StartAsync(new ProsodyOptions { StreamManagement = false, WebSocket = false });
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        await server.RegisterAsync("carol", password);
        var port = server.C2sPort;

        await server.StopAsync();
        Assert.False(server.IsRunning);
        await Assert.ThrowsAnyAsync<Exception>(() => XmppProbe.ReadStreamFeaturesAsync(server.Host, port, server.Domain, TimeSpan.FromSeconds(2)));

        await server.StartAgainAsync();
        Assert.Equal(port, server.C2sPort);
        var features = await XmppProbe.ReadStreamFeaturesAsync(server.Host, port, server.Domain, TimeSpan.FromSeconds(5));
        Assert.Contains("starttls", features, StringComparison.Ordinal);
        await using var carol = await SlixmppPeer.StartAsync($"carol@{server.Domain}", password, server.Host, port, server.CaCertificatePemPath);
        Assert.NotNull(carol.BoundJid);
    }
}
