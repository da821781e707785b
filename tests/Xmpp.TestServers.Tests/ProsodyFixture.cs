using System.Security.Cryptography;

namespace Xmpp.TestServers.Tests;

public sealed class ProsodyFixture : IAsyncLifetime
{
    public ProsodyServer Server { get; private set; } = null!;

    public string AlicePassword { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));

    public string BobPassword { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));

    public async Task InitializeAsync()
    {
        Server = await ProsodyServer.StartAsync();
        await Task.WhenAll(Server.RegisterAsync("alice", AlicePassword), Server.RegisterAsync("bob", BobPassword));
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
