using System.Text.Json;

namespace XmppNotify.Cli.Tests;

/// <summary><c>xmpp-notify invite</c> and <c>xmpp-notify presence</c> against a real Prosody, bob being a slixmpp session.</summary>
public class ContactsCommandTests(ProsodyFixture prosody) : IClassFixture<ProsodyFixture>
{
    [Fact]
    public async Task Invite_then_presence_shows_the_contact_available_then_offline()
    {
        var url = prosody.Url("alice", "bob");
        var before = await RunJsonAsync(["presence", url]);
        var unknown = Assert.Single(before.GetProperty("contacts").EnumerateArray());
        Assert.Equal("unknown", unknown.GetProperty("state").GetString());

        await using (var bob = await prosody.ReceiverAsync("bob"))
        {
            var invite = await RunJsonAsync(["invite", url]);
            var contact = Assert.Single(invite.GetProperty("contacts").EnumerateArray());
            Assert.Equal($"bob@{prosody.Domain}", contact.GetProperty("contact").GetString());
            Assert.Equal("requested", contact.GetProperty("status").GetString());
            await bob.WaitForEventAsync(e => e.GetProperty("event").GetString() == "presence" && e.GetProperty("type").GetString() == "subscribe", TimeSpan.FromSeconds(10));

            var available = await PresenceUntilAsync(url, "available");
            var resource = Assert.Single(available.GetProperty("resources").EnumerateArray());
            Assert.EndsWith("/" + resource.GetProperty("resource").GetString(), bob.BoundJid, StringComparison.Ordinal);
            Assert.Equal("online", resource.GetProperty("show").GetString());

            var again = await RunJsonAsync(["invite", url, "bob"]);
            Assert.Equal("already-subscribed", again.GetProperty("contacts")[0].GetProperty("status").GetString());
        }
        await PresenceUntilAsync(url, "offline");
    }

    [Fact]
    public async Task A_failed_login_is_a_json_error_on_stderr_with_the_exit_code()
    {
        var result = await CliRunner.RunAsync(["presence", prosody.Url("alice", "bob", password: "wrong")], environment: prosody.TrustTestCa);
        Assert.True(result.ExitCode == 4, result.ToString());
        using var json = JsonDocument.Parse(result.Stderr);
        Assert.Contains("not-authorized", json.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(prosody.Password("alice"), result.AllOutput, StringComparison.Ordinal);
    }

    private async Task<JsonElement> RunJsonAsync(string[] args)
    {
        var result = await CliRunner.RunAsync(args, environment: prosody.TrustTestCa);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain(prosody.Password("alice"), result.AllOutput, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(result.Stdout);
        return json.RootElement.Clone();
    }

    private async Task<JsonElement> PresenceUntilAsync(string url, string state)
    {
        JsonElement last = default;
        for (var i = 0; i < 40; i++)
        {
            last = (await RunJsonAsync(["presence", url])).GetProperty("contacts")[0];
            if (last.GetProperty("state").GetString() == state)
                return last;
            await Task.Delay(250);
        }
        throw new Xunit.Sdk.XunitException($"bob never became {state}; last: {last}");
    }
}
