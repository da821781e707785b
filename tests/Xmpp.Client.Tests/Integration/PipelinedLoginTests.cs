namespace Xmpp.Client.Tests.Integration;

/// <summary>
/// Pipelined logins (<see cref="XmppClientOptions.PipelineLogin"/>) against real servers: the restart, bind, messages
/// and the proving ping leave before the server answers the restart; the second login with the same server sends its
/// first SASL message with the stream header. Delivery is checked by a separate receiving session, bounces are collected.
/// </summary>
public abstract class PipelinedLoginTests(ServerFixture server)
{
    [Theory]
    [InlineData(SecureSocketOptions.StartTls)]
    [InlineData(SecureSocketOptions.DirectTls)]
    public async Task Pipelined_logins_deliver_collect_bounces_and_reuse_what_they_learnt(SecureSocketOptions security)
    {
        await using var receiver = await server.ReceiverAsync("bob");
        for (var login = 0; login < 2; login++)
        {
            var logger = new RecordingProtocolLogger();
            var options = server.Options("alice", security);
            options.PipelineLogin = true;
            options.ProtocolLogger = logger;
            await using var client = new XmppClient(options);
            await client.LoginAsync();
            var body = $"pipelined {security} login {login} {Guid.NewGuid():N}";
            var id = await client.SendMessageAsync(new OutgoingMessage(server["bob"].Jid, body));
            var ghost = await client.SendMessageAsync(new OutgoingMessage(Jid.Parse($"nobody-{Guid.NewGuid():N}@{server.Domain}"), "to no one"));
            var report = await client.DisconnectAsync();

            Assert.Equal([id], report.Acknowledged);
            Assert.Equal(ghost, Assert.Single(report.Bounced).Id);
            Assert.Empty(report.Unacknowledged);
            Assert.Equal(body, (await receiver.WaitForAsync(m => m.Id == id)).Body);
            Assert.Equal(server["alice"].Jid, client.BoundJid!.Bare);
            Assert.True(client.IsEncrypted);
            Assert.False(client.IsStreamManagementEnabled);

            var lines = logger.Lines.ToList();
            static bool Features(string line) => line.StartsWith("S: <features ", StringComparison.Ordinal) || line.StartsWith("S: <stream:features", StringComparison.Ordinal);
            // The login does not wait for the restarted stream: the bind request travels with the restart. (Whether the
            // test's own messages and the closing ping also beat the features depends on how fast a loopback server
            // answers compared with this thread, so only the login's flight is asserted.)
            var bind = lines.FindIndex(l => l.StartsWith("C: <iq type='set'", StringComparison.Ordinal) && l.Contains("urn:ietf:params:xml:ns:xmpp-bind", StringComparison.Ordinal));
            var boundFeatures = lines.FindIndex(l => Features(l) && l.Contains("urn:ietf:params:xml:ns:xmpp-bind", StringComparison.Ordinal));
            Assert.True(bind >= 0 && boundFeatures > bind, "the bind request must leave before the features of the restarted stream arrive:\n" + logger.All);
            var ping = lines.FindIndex(l => l.StartsWith("C: <iq type='get'", StringComparison.Ordinal) && l.Contains("urn:xmpp:ping", StringComparison.Ordinal));
            Assert.True(ping >= 0, "delivery is proven by a ping:\n" + logger.All);
            var auth = lines.FindIndex(l => l.StartsWith("C: <auth ", StringComparison.Ordinal));
            var mechanisms = lines.FindLastIndex(l => Features(l) && l.Contains("<mechanisms", StringComparison.Ordinal));
            if (login == 0)
                Assert.True(auth > mechanisms, "a first login chooses its mechanism from the features:\n" + logger.All);
            else
                Assert.True(auth >= 0 && auth < mechanisms, "a second login sends <auth/> with the stream header:\n" + logger.All);
            Assert.DoesNotContain(server["alice"].Password, logger.All, StringComparison.Ordinal);
        }
    }
}

public sealed class ProsodyPipelinedLoginTests(ProsodyFixture server) : PipelinedLoginTests(server), IClassFixture<ProsodyFixture>;

public sealed class EjabberdPipelinedLoginTests(EjabberdFixture server) : PipelinedLoginTests(server), IClassFixture<EjabberdFixture>;
