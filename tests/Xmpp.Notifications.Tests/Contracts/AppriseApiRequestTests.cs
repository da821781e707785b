using System.Text;
using Xmpp.Notifications.Apprise;
using Xmpp.Notifications.Contracts.Requests;

namespace Xmpp.Notifications.Tests.Contracts;

public class AppriseApiRequestTests
{
    private static AppriseApiRequest Parse(string? contentType, string body) => AppriseApiRequest.Parse(contentType, Encoding.UTF8.GetBytes(body));

    [Fact]
    public void JsonAsApprisesOwnApiPluginSendsIt()
    {
        var request = Parse("application/json", """{"title":"Backup","body":"done in **3 min**","type":"success","format":"markdown","tag":"ops db, dev"}""");

        Assert.Equal(("Backup", "done in **3 min**", "markdown", "success", "ops db, dev"), (request.Message.Title, request.Message.Body, request.Message.Format, request.Type, request.Tag));
        Assert.Null(request.Message.To);
    }

    [Fact]
    public void FormFieldsLikeCurlSendsThem()
    {
        var request = Parse("application/x-www-form-urlencoded", "body=disk+full&tags=ops&type=failure");

        Assert.Equal(("[FAILURE]", "disk full", "text", "ops"), (request.Message.Title, request.Message.Body, request.Message.Format, request.Tag));
    }

    [Fact]
    public void WarningMarksTheTitle() =>
        Assert.Equal("[WARNING] Disk", Parse("application/json", """{"title":"Disk","body":"80%","type":"warning"}""").Message.Title);

    [Fact]
    public void TagListInJsonIsAlternatives()
    {
        var request = Parse("application/json", """{"body":"x","tag":["ops","dev db"]}""");

        var filter = AppriseTagFilter.FromApiExpression(request.Tag);
        Assert.True(filter.Matches(new HashSet<string> { "ops" }));
        Assert.True(filter.Matches(new HashSet<string> { "dev", "db" }));
        Assert.False(filter.Matches(new HashSet<string> { "dev" }));
    }

    [Theory]
    [InlineData("application/json", """{"title":"t"}""", "\"body\" is missing or empty")]
    [InlineData("application/json", """{"body":"x","type":"panic"}""", "expected info, success, warning or failure")]
    [InlineData("application/json", """{"body":"x","urls":"mailto://me"}""", "\"urls\" is refused")]
    [InlineData("application/json", """{"body":"x","attach":"https://e/x.png"}""", "Attachments are not relayed")]
    [InlineData("application/json", """{"body":"x","colour":"red"}""", "\"colour\" is not part of the Apprise API's notify payload")]
    [InlineData("application/json", """{"body":"x","format":"rtf"}""", "format")]
    [InlineData("application/json", """["body"]""", "must be a JSON object")]
    [InlineData("text/xml", "<x/>", "Content-Type \"text/xml\" is not supported here")]
    [InlineData("application/x-www-form-urlencoded", "body=a&body=b", "given twice")]
    public void BadPayloadsAreNamed(string contentType, string body, string expected)
    {
        var ex = Assert.Throws<NotificationFormatException>(() => Parse(contentType, body));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}
