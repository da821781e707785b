using Xmpp.TestServers;

namespace Xmpp.Client.Tests.Integration;

/// <summary>Receipts and the archive query on ejabberd (its test configuration has no mod_mam).</summary>
public sealed class TwoWayEjabberdTests(EjabberdFixture server) : IClassFixture<EjabberdFixture>
{
    private Task<SlixmppPeer> PeerAsync(string user, bool receipts) =>
        SlixmppPeer.StartAsync(new SlixmppPeerOptions
        {
            Jid = server[user].Jid.ToString(),
            Password = server[user].Password,
            Host = server.Server.Host,
            Port = server.C2sPort,
            CaPemPath = server.Server.CaCertificatePemPath,
            Receipts = receipts,
        });

    [Fact]
    public async Task A_slixmpp_client_confirms_with_a_receipt()
    {
        await using var bob = await PeerAsync("bob", receipts: true);
        await using var client = new XmppClient(server.Options("alice"));
        await client.LoginAsync();
        var id = await client.SendMessageAsync(new OutgoingMessage(server["bob"].Jid, "receipt please") { RequestReceipt = true });
        var by = await client.ReceiptAsync(id, server["bob"].Jid).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(bob.BoundJid, by.ToString());
        await client.DisconnectAsync();
    }

    [Fact]
    public async Task Without_mod_mam_the_archive_query_is_a_stanza_error()
    {
        await using var client = new XmppClient(server.Options("bob"));
        await client.LoginAsync();
        var e = await Assert.ThrowsAsync<XmppStanzaErrorException>(() => client.QueryArchiveAsync(null, null, 10));
        Assert.True(e.Error.Condition is "service-unavailable" or "feature-not-implemented", e.Error.Condition);
        await client.DisconnectAsync();
    }
}
