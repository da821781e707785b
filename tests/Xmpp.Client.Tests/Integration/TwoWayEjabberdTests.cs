using Xmpp.TestServers;

namespace Xmpp.Client.Tests.Integration;

/// <summary>Receipts, presence and the archive query on ejabberd (its test configuration has no mod_mam).</summary>
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

    [Fact]
    public async Task A_priority_minus_one_session_sees_a_contact_online_then_offline_and_an_unsubscribed_one_as_such()
    {
        var contactJid = server["alice"].Jid;
        var options = server.Options("carol");
        options.SubscriptionPolicy = SubscriptionPolicy.Accept;
        var contactJidOptions = server.Options("alice");
        contactJidOptions.SubscriptionPolicy = SubscriptionPolicy.Accept;
        await using (var asking = new XmppClient(options))
        await using (var contact = new XmppClient(contactJidOptions))
        {
            await asking.LoginAsync();
            await contact.LoginAsync();
            await contact.SendPresenceAsync(0);
            await asking.RequestSubscriptionAsync(contactJid);
            await WaitUntilAsync(async () => (await asking.GetRosterAsync()).Any(i => i.Jid == contactJid && i.SeesPresence));
            await asking.DisconnectAsync();
            await contact.DisconnectAsync();
        }

        // ejabberd delivers an online contact's presence to a priority -1 session like to any other.
        await using (var contactAgain = new XmppClient(contactJidOptions))
        {
            await contactAgain.LoginAsync();
            await contactAgain.SendPresenceAsync(5);
            await using var watcher = new XmppClient(server.Options("carol"));
            await watcher.LoginAsync();
            await watcher.SendPresenceAsync(-1);
            var online = Assert.Single(await watcher.WaitForPresenceAsync([contactJid]));
            Assert.True(online.IsAvailable, online.ToString());
            Assert.Equal(5, Assert.Single(online.Resources).Priority);
            await contactAgain.DisconnectAsync();
        }

        // Offline: ejabberd answers the probe with nothing; the contact's last activity (XEP-0012) tells it, long
        // before rto. An account that is not subscribed learns that instead.
        var options2 = server.Options("carol");
        options2.ResponseTimeout = TimeSpan.FromSeconds(30);
        await using var late = new XmppClient(options2);
        await late.LoginAsync();
        await late.SendPresenceAsync(-1);
        var seen = await late.WaitForPresenceAsync([contactJid, server["bob"].Jid]);
        Assert.True(seen[0].IsOffline, seen[0].ToString());
        Assert.Equal(PresenceKnowledge.NotSubscribed, seen[1].Knowledge);
        await late.DisconnectAsync();
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 100 && !await condition(); i++)
            await Task.Delay(100);
        Assert.True(await condition(), "the subscription was not established");
    }
}
