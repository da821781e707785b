using System.Text;
using System.Text.Json;
using Xmpp.Notifications.Apprise;

namespace Xmpp.Notifications.Tests.Apprise;

/// <summary><c>transport=</c>, <c>wsurl=</c> and <c>+Header=</c>: read as documented, and their secrets never shown.</summary>
public sealed class WebSocketUrlTests
{
    private const string Token = "tok-SECRET-7f3a";
    private const string Cookie = "sess-SECRET-91bc";
    private const string QueryToken = "q-SECRET-55de";

    private static readonly string Url =
        $"xmpps://bot:pw@example.ca/jane?wsurl=wss%3A%2F%2Fchat.example.ca%2Fws%3Fauth%3D{QueryToken}&+X-Token={Token}&+Cookie=session%3D{Cookie}";

    [Fact]
    public void Dry_run_shows_the_endpoint_and_header_names_without_values()
    {
        var plan = AppriseXmppUrl.Parse(Url);
        var json = DryRun(plan);
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal("websocket", root.GetProperty("transport").GetString());
        Assert.Equal("wss://chat.example.ca/ws?****", root.GetProperty("websocket_url").GetString());
        Assert.False(root.TryGetProperty("websocket_discovery", out _));
        Assert.Equal(["X-Token", "Cookie"], root.GetProperty("websocket_headers").EnumerateObject().Select(p => p.Name).ToArray());
        Assert.All(root.GetProperty("websocket_headers").EnumerateObject(), p => Assert.Equal("****", p.Value.GetString()));
        AssertNoSecret(json);
    }

    [Fact]
    public void Dry_run_of_a_discovered_endpoint_says_where_it_looks()
    {
        using var doc = JsonDocument.Parse(DryRun(AppriseXmppUrl.Parse("xmpps://bot:pw@example.ca?transport=websocket")));
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("websocket_url").ValueKind);
        Assert.Equal("https://example.ca/.well-known/host-meta", doc.RootElement.GetProperty("websocket_discovery").GetString());
    }

    [Fact]
    public void Secrets_stay_out_of_every_visible_form()
    {
        var plan = AppriseXmppUrl.Parse(Url);
        AssertNoSecret(plan.ToString());
        AssertNoSecret(plan.ToUrl(false));
        AssertNoSecret(plan.ToClientOptions().ToString());
        AssertNoSecret(string.Join("\n", plan.Notes));
        AssertNoSecret(plan.WebSocketEndpoint!);
        Assert.Contains("+X-Token=****", plan.ToString(), StringComparison.Ordinal);
        Assert.Contains("X-Token: ****", plan.ToClientOptions().ToString(), StringComparison.Ordinal);
        // The full form keeps them, so that it parses back to the same plan.
        Assert.Contains(Token, plan.ToUrl(true), StringComparison.Ordinal);
        Assert.Equal(plan, AppriseXmppUrl.Parse(plan.ToUrl(true)));
    }

    [Theory]
    [InlineData("&+X-Token=a%0Db")]
    [InlineData("&+Host=x")]
    [InlineData("&transport=bosh")]
    [InlineData("&wsurl=ws%3A%2F%2Fexample.ca%2F")]
    public void Rejected_urls_never_echo_header_values_or_the_endpoint_query(string bad)
    {
        var url = Url + bad;
        Assert.False(AppriseXmppUrl.TryParse(url, out _, out var error));
        AssertNoSecret(error!.Message);
        AssertNoSecret(UrlRedaction.Redact(url));
    }

    [Fact]
    public void Redaction_of_rejected_urls_masks_header_values_and_the_endpoint()
    {
        Assert.Equal("xmpps://****@example.ca?transport=bosh&+X-Token=****&wsurl=****",
            UrlRedaction.Redact($"xmpps://bot:pw@example.ca?transport=bosh&+X-Token={Token}&wsurl=wss%3A%2F%2Fh%2F%3Ft%3D{QueryToken}"));
    }

    [Fact]
    public void Websocket_notes_say_what_does_not_apply()
    {
        var plan = AppriseXmppUrl.Parse("xmpps://bot:pw@example.ca:5999?transport=websocket&xmpp=other.example.ca");
        Assert.Contains(plan.Notes, n => n.Contains("do not apply to the WebSocket transport", StringComparison.Ordinal));
    }

    private static void AssertNoSecret(string text)
    {
        Assert.DoesNotContain(Token, text, StringComparison.Ordinal);
        Assert.DoesNotContain(Cookie, text, StringComparison.Ordinal);
        Assert.DoesNotContain(QueryToken, text, StringComparison.Ordinal);
    }

    private static string DryRun(AppriseXmppUrl plan)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
            plan.WriteDryRun(writer);
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
