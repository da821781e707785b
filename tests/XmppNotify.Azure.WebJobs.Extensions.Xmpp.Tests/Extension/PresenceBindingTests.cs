using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using Xmpp.Notifications;
using Xmpp.Notifications.Tests.Notifier;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp.Tests.Extension;

/// <summary>The <c>[XmppPresence]</c> input binding in a JobHost against a real Prosody, the contact a slixmpp session.</summary>
public sealed class PresenceBindingTests(TwoWayFixture fixture) : IClassFixture<TwoWayFixture>
{
    [Fact]
    public async Task The_binding_returns_availability_as_objects_and_as_the_workers_json()
    {
        await using var bob = await fixture.PeerAsync("bob", receipts: false);
        var url = fixture.Url("alice", "bob");
        var invite = await fixture.Contacts().InviteAsync(url, null, default);
        Assert.True(invite.Success, invite.Error);
        await bob.WaitForEventAsync(e => e.GetProperty("event").GetString() == "presence" && e.GetProperty("type").GetString() == "subscribe", TimeSpan.FromSeconds(10));
        for (var i = 0; i < 50 && (await fixture.Contacts().GetPresenceAsync(url, null, default)).Contacts[0].State != ContactAvailability.Available; i++)
            await Task.Delay(200);

        await using var host = await JobHostRunner.StartAsync(
            typeof(Functions),
            new Dictionary<string, string?> { ["XmppConnection"] = url },
            notifier: null,
            services: s => s.AddSingleton(new XmppNotifierOptions { ConfigureClient = o => o.TrustedRoots = [fixture.Server.CaCertificate] }));
        await host.CallAsync(typeof(Functions), nameof(Functions.Read));

        var typed = Functions.Typed!;
        Assert.Equal(2, typed.Length);
        Assert.Equal((ContactAvailability.Available, $"bob@{fixture.Domain}"), (typed[0].State, typed[0].Contact));
        Assert.EndsWith("/" + typed[0].Resources[0].Resource, bob.BoundJid, StringComparison.Ordinal);
        Assert.Equal(ContactAvailability.Unknown, typed[1].State);
        var json = JArray.Parse(Functions.Json!);
        Assert.Equal("available", (string?)json[0]["state"]);
        Assert.Equal("online", (string?)json[0]["resources"]![0]!["show"]);
        Assert.DoesNotContain(fixture.Password("alice"), host.Logs.AllText, StringComparison.Ordinal);
    }

    public static class Functions
    {
        public static ContactAvailability[]? Typed { get; private set; }

        public static string? Json { get; private set; }

        [Microsoft.Azure.WebJobs.NoAutomaticTrigger]
        public static void Read(
            [XmppPresence(Contacts = "bob,carol")] ContactAvailability[] typed,
            [XmppPresence] string json)
        {
            Typed = typed;
            Json = json;
        }
    }
}
