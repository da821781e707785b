using Xmpp.Notifications.Apprise;

namespace Xmpp.Notifications.Tests.Apprise;

/// <summary>Redaction of URLs the parser rejected: whatever is wrong with them, no credential survives.</summary>
public sealed class UrlRedactionTests
{
    [Theory]
    [InlineData("xmpps://alice:Secr3t@localhost:99999/bob", "Secr3t")]
    [InlineData("xmpps://alice:Secr3t@bad host/bob", "Secr3t")]
    [InlineData("xmpps://alice@localhost/bob?pass=Secr3t&mode=x", "Secr3t")]
    [InlineData("xmpps://alice@localhost/bob?mode=x;password=Secr3t", "Secr3t")]
    [InlineData("xmpp://alice/Secr3t@localhost/bob?mode=bogus", "Secr3t")]
    [InlineData("xmpps://alice:Sec?r3t@localhost/bob", "r3t")]
    [InlineData("xmpps://alice:Secr3t", "Secr3t")]
    public void No_credential_survives(string url, string secret)
    {
        var redacted = UrlRedaction.Redact(url);
        Assert.DoesNotContain(secret, redacted, StringComparison.Ordinal);
        Assert.Contains("****", redacted, StringComparison.Ordinal);
    }

    [Fact]
    public void Host_port_and_other_parameters_stay_readable()
    {
        Assert.Equal("xmpps://****@localhost:99999/bob?mode=x", UrlRedaction.Redact("xmpps://alice:pw@localhost:99999/bob?mode=x"));
        Assert.Equal("xmpps://localhost:5222/bob", UrlRedaction.Redact("xmpps://localhost:5222/bob"));
    }

    [Fact]
    public async Task The_notifier_reports_an_invalid_url_without_its_password_parameter()
    {
        var result = await new XmppNotifier().NotifyAsync(["xmpps://alice@localhost/bob?pass=Secr3t&mode=bogus"], [new Notification(null, "x")], default);
        var outcome = Assert.Single(result.Urls);
        Assert.Equal(NotifyFailureKind.InvalidUrl, outcome.Failure);
        Assert.DoesNotContain("Secr3t", outcome.Url + outcome.Error + result.Describe(), StringComparison.Ordinal);
    }
}
