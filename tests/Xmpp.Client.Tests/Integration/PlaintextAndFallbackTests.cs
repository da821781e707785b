namespace Xmpp.Client.Tests.Integration;

/// <summary>A Prosody without stream management that accepts plaintext: mode none, and delivery proven by ping.</summary>
public sealed class PlaintextAndFallbackTests(PlaintextProsodyFixture server) : IClassFixture<PlaintextProsodyFixture>
{
    [Fact]
    public async Task Mode_none_logs_in_without_tls_and_delivery_is_proven_by_ping()
    {
        var logger = new RecordingProtocolLogger();
        var options = server.Options("alice", SecureSocketOptions.None);
        options.ProtocolLogger = logger;
        await using var receiver = await server.ReceiverAsync("bob");
        await using var client = new XmppClient(options);
        await client.LoginAsync();
        Assert.False(client.IsEncrypted);
        Assert.False(client.IsStreamManagementEnabled);

        var body = $"plaintext {Guid.NewGuid():N}";
        var id = await client.SendMessageAsync(new OutgoingMessage(server["bob"].Jid, body));
        var report = await client.DisconnectAsync();

        Assert.Equal([id], report.Acknowledged);
        Assert.Contains(logger.Lines, l => l.Contains("urn:xmpp:ping", StringComparison.Ordinal));
        Assert.DoesNotContain(server["alice"].Password, logger.All, StringComparison.Ordinal);
        Assert.Equal(body, (await receiver.WaitForAsync(m => m.Id == id)).Body);
    }

    [Fact]
    public async Task Plain_mechanism_is_never_used_in_cleartext_unless_mode_is_none()
    {
        // STARTTLS mode: the server offers PLAIN in cleartext here, but the client upgrades first.
        var options = server.Options("alice");
        options.AllowedMechanisms = ["PLAIN"];
        await using var tls = new XmppClient(options);
        await tls.LoginAsync();
        Assert.True(tls.IsEncrypted);
        Assert.Equal("PLAIN", tls.Mechanism);
    }
}
