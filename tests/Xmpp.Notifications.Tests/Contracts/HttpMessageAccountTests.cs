using System.Text;
using Xmpp.Notifications.Contracts.Requests;

namespace Xmpp.Notifications.Tests.Contracts;

public class HttpMessageAccountTests
{
    private static readonly string[] Allowed = ["example.org"];

    private static string Basic(string credentials) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials));

    [Fact]
    public void BasicCredentialsGiveTheAccountAndAOneOffUrl()
    {
        var account = HttpMessageAccount.FromBasicAuthorization(Basic("Andy@Example.org:p@ss:w/rd"), Allowed);

        Assert.Equal("Andy@example.org", account.BareJid);
        Assert.Equal("xmpps://Andy:p%40ss%3Aw%2Frd@example.org:5222/?xmpp=example.org", account.ToAppriseUrl(HttpMessageRequest.Domains("example.org")));
        Assert.DoesNotContain("p@ss", account.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, 401)]
    [InlineData("Bearer abc", 401)]
    [InlineData("Basic !!!", 401)]
    [InlineData("Basic YW5keQ==", 401)]
    public void MissingOrMalformedCredentialsAre401(string? header, int status) =>
        Assert.Equal(status, Assert.Throws<HttpMessageRefusedException>(() => HttpMessageAccount.FromBasicAuthorization(header, Allowed)).Status);

    [Fact]
    public void OtherDomainIs403WithoutThePassword()
    {
        var ex = Assert.Throws<HttpMessageRefusedException>(() => HttpMessageAccount.FromBasicAuthorization(Basic("andy@evil.example:hunter2"), Allowed));

        Assert.Equal(403, ex.Status);
        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NoAllowedDomainsMeansOff() =>
        Assert.Equal(503, Assert.Throws<HttpMessageRefusedException>(() => HttpMessageAccount.FromBasicAuthorization(Basic("a@example.org:pw"), [])).Status);

    [Theory]
    [InlineData(null)]
    [InlineData("andy@example.org")]
    [InlineData("ANDY@example.org/laptop")]
    public void OwnSenderIsAccepted(string? from) =>
        HttpMessageAccount.FromBasicAuthorization(Basic("andy@example.org:pw"), Allowed).CheckSender(from);

    [Fact]
    public void ForgedSenderIs403()
    {
        var account = HttpMessageAccount.FromBasicAuthorization(Basic("andy@example.org:pw"), Allowed);

        var ex = Assert.Throws<HttpMessageRefusedException>(() => account.CheckSender("blog@wordpress.example"));
        Assert.Equal(403, ex.Status);
        Assert.Contains("sends as the logged-in account only", ex.Message, StringComparison.Ordinal);
    }
}
