using System.Globalization;
using System.Net;
using System.Text;
using XmppNotify.FunctionApp.Tests.HostProtocol;

namespace XmppNotify.FunctionApp.Tests;

/// <summary>
/// <c>POST /api/message</c> (http_message/mod_post_msg clients) through the host protocol: the worker logs in to
/// Prosody as the account of the Basic credentials for this request only, sends, and answers after the server's
/// acknowledgement; arrival (and non-arrival) is checked by an independent slixmpp session.
/// </summary>
[Collection(FunctionAppDefinition.Name)]
public sealed class HttpMessageEndpointTests(FunctionAppFixture app)
{
    private Task<HttpExchange> PostAsync(string pathAndQuery, string? contentType, string body, string? user, string? password, FunctionsHostHarness? host = null)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["Content-Length"] = bytes.Length.ToString(CultureInfo.InvariantCulture),
            ["Host"] = "localhost:7071",
        };
        if (contentType is not null)
        {
            headers["Content-Type"] = contentType;
        }

        if (user is not null)
        {
            headers["Authorization"] = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));
        }

        return (host ?? app.Host).SendHttpAsync("Message", new HarnessHttpRequest("POST", pathAndQuery, headers, bytes), app.Outputs);
    }

    private string Alice => $"alice@{app.Xmpp.Domain}";

    private string Bob => $"bob@{app.Xmpp.Domain}";

    private string ToBob => $"/api/message?to={Uri.EscapeDataString(Bob)}";

    /// <summary>
    /// Messages from one sender to one receiver arrive in order: once a marker sent afterwards with the right password
    /// is in, a refused request's marker can no longer come.
    /// </summary>
    private async Task AssertNeverArrivesAsync(SlixmppPeer bob, string refusedMarker)
    {
        var later = Guid.NewGuid().ToString("N");
        var sent = await PostAsync(ToBob, "text/plain", later, Alice, app.Xmpp.Password("alice"));
        Assert.True(sent.Response.StatusCode == HttpStatusCode.OK, sent.Response.ToString());
        await bob.WaitForMessageAsync(m => m.Body == later, TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(bob.Received, m => m.Body?.Contains(refusedMarker, StringComparison.Ordinal) == true);
    }

    private void AssertNotLeaked(string secret, HttpExchange exchange)
    {
        Assert.DoesNotContain(secret, exchange.Response.BodyText, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, exchange.Invocation.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(secret, app.Host.Channel.LogText, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, app.Outputs.Runner.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stanza_with_the_accounts_credentials_is_sent_as_that_account_and_200_comes_after_delivery()
    {
        await using var bob = await app.Xmpp.IndependentReceiverAsync("bob");
        var marker = Guid.NewGuid().ToString("N");

        // The http_message curl example: no Content-Type header, so curl says form-urlencoded.
        var exchange = await PostAsync("/api/message", "application/x-www-form-urlencoded",
            $"""<message to="{Bob}" from="{Alice}/curl" type="chat"><body>{marker}</body></message>""", Alice, app.Xmpp.Password("alice"));

        Assert.True(exchange.Response.StatusCode == HttpStatusCode.OK, exchange.Response.ToString());
        Assert.Equal($"Sent as {Alice}.", exchange.Response.BodyText);
        var received = await bob.WaitForMessageAsync(m => m.Body == marker, TimeSpan.FromSeconds(10));
        Assert.StartsWith(Alice + "/", received.From, StringComparison.OrdinalIgnoreCase);

        // Sent by the worker itself: nothing for the output binding, so the credentials never reached the host.
        Assert.DoesNotContain(exchange.Invocation.OutputData, o => o.Name != "$return");
        AssertNotLeaked(app.Xmpp.Password("alice"), exchange);
    }

    [Fact]
    public async Task Plain_text_goes_to_the_recipients_in_the_query()
    {
        await using var bob = await app.Xmpp.IndependentReceiverAsync("bob");
        var marker = Guid.NewGuid().ToString("N");
        var exchange = await PostAsync(ToBob, "text/plain", marker, Alice, app.Xmpp.Password("alice"));
        Assert.True(exchange.Response.StatusCode == HttpStatusCode.OK, exchange.Response.ToString());
        Assert.Equal(marker, (await bob.WaitForMessageAsync(m => m.Body == marker, TimeSpan.FromSeconds(10))).Body);
    }

    [Fact]
    public async Task A_wrong_password_is_401_with_a_challenge_nothing_arrives_and_the_password_is_not_logged()
    {
        await using var bob = await app.Xmpp.IndependentReceiverAsync("bob");
        var password = "Bad/" + Guid.NewGuid().ToString("N")[..12];
        var marker = Guid.NewGuid().ToString("N");

        var exchange = await PostAsync(ToBob, "text/plain", marker, Alice, password);

        Assert.True(exchange.Response.StatusCode == HttpStatusCode.Unauthorized, exchange.Response.ToString());
        Assert.StartsWith("Basic ", exchange.Response.Headers["WWW-Authenticate"], StringComparison.Ordinal);
        Assert.Contains($"refused the credentials of {Alice}", exchange.Response.BodyText, StringComparison.Ordinal);
        Assert.Contains("not-authorized", exchange.Response.BodyText, StringComparison.Ordinal);
        AssertNotLeaked(password, exchange);
        await AssertNeverArrivesAsync(bob, marker);
    }

    [Fact]
    public async Task A_forged_from_is_403_and_nothing_arrives()
    {
        await using var bob = await app.Xmpp.IndependentReceiverAsync("bob");
        var marker = Guid.NewGuid().ToString("N");
        var exchange = await PostAsync("/api/message", "application/xml",
            $"""<message to="{Bob}" from="carol@{app.Xmpp.Domain}"><body>{marker}</body></message>""", Alice, app.Xmpp.Password("alice"));
        Assert.Equal(HttpStatusCode.Forbidden, exchange.Response.StatusCode);
        Assert.Contains("is not " + Alice, exchange.Response.BodyText, StringComparison.Ordinal);
        await AssertNeverArrivesAsync(bob, marker);
    }

    [Fact]
    public async Task Missing_credentials_are_401_with_a_challenge_and_another_domain_is_403()
    {
        var none = await PostAsync(ToBob, "text/plain", "x", null, null);
        Assert.Equal(HttpStatusCode.Unauthorized, none.Response.StatusCode);
        Assert.StartsWith("Basic ", none.Response.Headers["WWW-Authenticate"], StringComparison.Ordinal);

        var other = await PostAsync(ToBob, "text/plain", "x", "alice@example.org", "pw");
        Assert.Equal(HttpStatusCode.Forbidden, other.Response.StatusCode);
        Assert.Contains("example.org", other.Response.BodyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_input_is_400_or_413_and_nothing_arrives()
    {
        await using var bob = await app.Xmpp.IndependentReceiverAsync("bob");
        var marker = Guid.NewGuid().ToString("N");
        var password = app.Xmpp.Password("alice");

        var noRecipient = await PostAsync("/api/message", "text/plain", marker, Alice, password);
        Assert.True(noRecipient.Response.StatusCode == HttpStatusCode.BadRequest, noRecipient.Response.ToString());
        Assert.Contains("?to=", noRecipient.Response.BodyText, StringComparison.Ordinal);

        var badRecipient = await PostAsync("/api/message?to=" + Uri.EscapeDataString("bob@@" + app.Xmpp.Domain), "text/plain", marker, Alice, password);
        Assert.True(badRecipient.Response.StatusCode == HttpStatusCode.BadRequest, badRecipient.Response.ToString());
        Assert.Contains("bob@@", badRecipient.Response.BodyText, StringComparison.Ordinal);

        var oversize = await PostAsync(ToBob, "text/plain", marker + new string('x', 256 * 1024), Alice, password);
        Assert.True(oversize.Response.StatusCode == HttpStatusCode.RequestEntityTooLarge, oversize.Response.ToString());

        // Five messages of 50 recipients each: 250 in all, over the 200 per request.
        var fanOut = "[" + string.Join(",", Enumerable.Range(0, 5).Select(i =>
            $$"""{"to":"{{string.Join(",", Enumerable.Range(0, 50).Select(n => $"u{i}x{n}@{app.Xmpp.Domain}"))}}","body":"{{marker}}"}""")) + "]";
        var capped = await PostAsync("/api/message", "application/json", fanOut, Alice, password);
        Assert.True(capped.Response.StatusCode == HttpStatusCode.RequestEntityTooLarge, capped.Response.ToString());
        Assert.Contains("maxRecipientsPerInvocation", capped.Response.BodyText, StringComparison.Ordinal);

        await AssertNeverArrivesAsync(bob, marker);
    }

    [Fact]
    public async Task An_unreachable_server_is_502_and_a_silent_one_504()
    {
        var unreachable = await PostAsync(ToBob, "text/plain", "x", "alice@" + FunctionAppFixture.UnreachableDomain, "secret-" + Guid.NewGuid().ToString("N"));
        Assert.True(unreachable.Response.StatusCode == HttpStatusCode.BadGateway, unreachable.Response.ToString());

        var password = "secret-" + Guid.NewGuid().ToString("N");
        var silent = await PostAsync(ToBob, "text/plain", "x", "alice@" + FunctionAppFixture.SilentDomain, password);
        Assert.True(silent.Response.StatusCode == HttpStatusCode.GatewayTimeout, silent.Response.ToString());
        Assert.Contains("did not answer in time", silent.Response.BodyText, StringComparison.Ordinal);
        AssertNotLeaked(password, silent);
    }

    [Fact]
    public async Task Without_the_domains_setting_the_endpoint_is_off_503_even_with_the_right_password()
    {
        await using var bob = await app.Xmpp.IndependentReceiverAsync("bob");
        var marker = Guid.NewGuid().ToString("N");

        // A second worker of the same app whose settings lack XmppHttpMessageDomains.
        await using (var off = await FunctionsHostHarness.StartAsync(FunctionAppOutput.Require(), app.AppSettings))
        {
            var exchange = await PostAsync(ToBob, "text/plain", marker, Alice, app.Xmpp.Password("alice"), off);
            Assert.True(exchange.Response.StatusCode == HttpStatusCode.ServiceUnavailable, exchange.Response.ToString());
            Assert.Contains("off", exchange.Response.BodyText, StringComparison.Ordinal);
        }

        await AssertNeverArrivesAsync(bob, marker);
    }
}
