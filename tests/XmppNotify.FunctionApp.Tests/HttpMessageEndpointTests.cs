using System.Globalization;
using System.Net;
using System.Text;
using XmppNotify.FunctionApp.Tests.HostProtocol;

namespace XmppNotify.FunctionApp.Tests;

/// <summary>
/// <c>POST /api/message</c> (http_message/mod_post_msg clients) through the host protocol: the worker turns the Basic
/// credentials into a one-off connection carried by the message, and the real JobHost logs in to Prosody as that
/// account for this request only; arrival is checked by an independent slixmpp session.
/// </summary>
[Collection(FunctionAppDefinition.Name)]
public sealed class HttpMessageEndpointTests(FunctionAppFixture app)
{
    private Task<HttpExchange> PostAsync(string pathAndQuery, string? contentType, string body, string? user, string? password, OutputBindingHost? outputs = null)
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

        return app.Host.SendHttpAsync("Message", new HarnessHttpRequest("POST", pathAndQuery, headers, bytes), outputs ?? app.Outputs);
    }

    private string Alice => $"alice@{app.Xmpp.Domain}";

    private string Bob => $"bob@{app.Xmpp.Domain}";

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
        Assert.DoesNotContain(app.Xmpp.Password("alice"), app.Outputs.Runner.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plain_text_goes_to_the_recipients_in_the_query()
    {
        await using var bob = await app.Xmpp.IndependentReceiverAsync("bob");
        var marker = Guid.NewGuid().ToString("N");
        var exchange = await PostAsync($"/api/message?to={Uri.EscapeDataString(Bob)}", "text/plain", marker, Alice, app.Xmpp.Password("alice"));
        Assert.True(exchange.Response.StatusCode == HttpStatusCode.OK, exchange.Response.ToString());
        Assert.Equal(marker, (await bob.WaitForMessageAsync(m => m.Body == marker, TimeSpan.FromSeconds(10))).Body);
    }

    [Fact]
    public async Task A_wrong_password_is_a_typed_authentication_failure_and_500_never_200_and_the_password_is_not_logged()
    {
        var password = "Bad/" + Guid.NewGuid().ToString("N")[..12];
        var exchange = await PostAsync($"/api/message?to={Uri.EscapeDataString(Bob)}", "text/plain", "x", Alice, password);

        Assert.Equal(HttpStatusCode.InternalServerError, exchange.Response.StatusCode);
        var delivery = HttpEndpointTests.DeliveryFailure(exchange.Result.FlushException);
        Assert.Contains("auth", delivery.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(password, exchange.Result.FlushException!.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(password, app.Outputs.Runner.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_forged_from_is_403_and_nothing_is_sent()
    {
        var exchange = await PostAsync("/api/message", "application/xml",
            $"""<message to="{Bob}" from="carol@{app.Xmpp.Domain}"><body>x</body></message>""", Alice, app.Xmpp.Password("alice"));
        Assert.Equal(HttpStatusCode.Forbidden, exchange.Response.StatusCode);
        Assert.Contains("is not " + Alice, exchange.Response.BodyText, StringComparison.Ordinal);
        Assert.Null(FunctionsHostHarness.OutputValue(exchange.Invocation, "Messages"));
    }

    [Fact]
    public async Task Missing_credentials_are_401_with_a_challenge_and_another_domain_is_403()
    {
        var none = await PostAsync($"/api/message?to={Uri.EscapeDataString(Bob)}", "text/plain", "x", null, null);
        Assert.Equal(HttpStatusCode.Unauthorized, none.Response.StatusCode);
        Assert.Null(FunctionsHostHarness.OutputValue(none.Invocation, "Messages"));

        var other = await PostAsync($"/api/message?to={Uri.EscapeDataString(Bob)}", "text/plain", "x", "alice@example.org", "pw");
        Assert.Equal(HttpStatusCode.Forbidden, other.Response.StatusCode);
        Assert.Null(FunctionsHostHarness.OutputValue(other.Invocation, "Messages"));
    }

    [Fact]
    public async Task The_host_refuses_a_per_message_account_when_the_domains_setting_is_absent()
    {
        // The wrong-password JobHost has no XmppHttpMessageDomains: the host side is off too, whatever a worker sends.
        var exchange = await PostAsync($"/api/message?to={Uri.EscapeDataString(Bob)}", "text/plain", "x", Alice, app.Xmpp.Password("alice"), app.WrongPasswordOutputs);
        Assert.Equal(HttpStatusCode.InternalServerError, exchange.Response.StatusCode);
        Assert.Contains(FunctionAppFixture.HttpMessageDomainsSetting, exchange.Result.FlushException!.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(app.Xmpp.Password("alice"), exchange.Result.FlushException.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_caller_cannot_name_an_account_on_the_notify_endpoint()
    {
        var body = Encoding.UTF8.GetBytes($$"""{"to":"{{Bob}}","body":"x","account":"xmpp://alice:pw@{{app.Xmpp.Domain}}"}""");
        var exchange = await app.Host.SendHttpAsync("Notify", HarnessHttpRequest.Post("/api/notify", "application/json", body), app.Outputs);
        Assert.Equal(HttpStatusCode.BadRequest, exchange.Response.StatusCode);
        Assert.Contains("account", exchange.Response.BodyText, StringComparison.Ordinal);
    }
}
