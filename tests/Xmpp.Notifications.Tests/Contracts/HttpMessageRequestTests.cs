using System.Text;
using Xmpp.Notifications.Apprise;
using Xmpp.Notifications.Contracts;
using Xmpp.Notifications.Contracts.Requests;

namespace Xmpp.Notifications.Tests.Contracts;

public class HttpMessageRequestTests
{
    private static readonly IReadOnlyDictionary<string, (string Host, int Port)> Domains =
        HttpMessageRequest.Domains("Example.org=xmpp.example.net:5223, other.test");

    private static HttpMessageAccount Account() => HttpMessageAccount.FromBasicAuthorization(
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice@example.org:s3cret/pw")), Domains.Keys.ToList());

    private static IReadOnlyList<XmppMessage> Parse(string? contentType, string body, string? to = null) =>
        HttpMessageRequest.Parse(Account(), contentType, Encoding.UTF8.GetBytes(body), to);

    [Fact]
    public void TheSettingListsDomainsWithWhereToConnect()
    {
        Assert.Equal(("xmpp.example.net", 5223), Domains["example.org"]);
        Assert.Equal(("other.test", 5222), Domains["other.test"]);
        Assert.Empty(HttpMessageRequest.Domains(null));
        Assert.Empty(HttpMessageRequest.Domains(" , "));
    }

    [Fact]
    public void TheOneOffAccountConnectsWhereTheSettingSaysAndTheMessagesDoNotCarryIt()
    {
        var message = Assert.Single(Parse(null, """<message to="bob@example.org" from="alice@example.org/x"><body>hi</body></message>"""));
        Assert.Equal("bob@example.org", message.To);
        Assert.True(AppriseXmppUrl.TryParse(Account().ToAppriseUrl(Domains), out var url, out _));
        Assert.Equal("alice@example.org", url!.LoginJid.ToString());
        Assert.Equal("xmpp.example.net", url.ConnectHost);
        Assert.Equal(5223, url.Port);
        Assert.DoesNotContain("s3cret", XmppMessageJson.Serialize(message), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", Account().ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void AnAccountOfADomainNotInTheSettingGetsNoUrl()
    {
        var other = HttpMessageAccount.FromBasicAuthorization("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("carol@other.test:pw")), Domains.Keys.ToList());
        Assert.Equal(403, Assert.Throws<HttpMessageRefusedException>(() => other.ToAppriseUrl(HttpMessageRequest.Domains("example.org"))).Status);
    }

    [Fact]
    public void TextTakesTheRecipientsFromTheQueryAndNoRecipientIs400()
    {
        Assert.Equal("bob@example.org", Assert.Single(Parse("text/plain", "hi", "bob@example.org")).To);
        Assert.Contains("?to=", Assert.Throws<NotificationFormatException>(() => Parse("text/plain", "hi")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AForgedFromIs403()
    {
        var refused = Assert.Throws<HttpMessageRefusedException>(() =>
            Parse("application/xml", """<message to="bob@example.org" from="boss@example.org"><body>x</body></message>"""));
        Assert.Equal(403, refused.Status);
    }

}
