using System.Net;
using System.Text;
using Xmpp.Notifications.Apprise;
using Xmpp.Notifications.Contracts;
using Xmpp.Notifications.Contracts.Requests;

namespace Xmpp.Notifications.Tests.Contracts;

/// <summary>POST /api/notify/{key}: the key, its stored configuration, the tags in the binding's spelling, and the answers.</summary>
public class AppriseApiNotifyTests
{
    private static readonly Func<string, string?> OpsStored = name => name == "XmppConnection__ops" ? "ops=xmpps://a:b@example.org/bob" : null;

    private static (XmppMessage? Message, AppriseApiAnswer? Answer) Parse(string? key, string? contentType, string body) =>
        AppriseApiNotify.Parse(key, contentType, Encoding.UTF8.GetBytes(body), OpsStored);

    [Fact]
    public void Json_as_apprise_sends_it_becomes_a_keyed_message()
    {
        // What Apprise's apprise:// plugin posts (tags=ops,db in its URL arrive as a list: either tag).
        var (message, answer) = Parse("ops", "application/json", """{"title":"Disk","body":"90% full","type":"warning","format":"markdown","tag":["ops","db"]}""");
        Assert.Null(answer);
        Assert.Equal("ops", message!.Key);
        Assert.Equal("[WARNING] Disk", message.Title);
        Assert.Equal("90% full", message.Body);
        Assert.Equal("markdown", message.Format);
        Assert.Equal("ops;db", message.Tag);
        Assert.Null(message.To);
    }

    [Fact]
    public void Form_payloads_are_read_like_json()
    {
        var (message, answer) = Parse("ops", "application/x-www-form-urlencoded", "body=hello+there&title=T&tag=ops%20db%2C%20dev&type=info");
        Assert.Null(answer);
        Assert.Equal("hello there", message!.Body);
        Assert.Equal("ops,db;dev", message.Tag);
    }

    [Theory]
    [InlineData("ops", "ops")]
    [InlineData("ops, dev", "ops;dev")]
    [InlineData("ops db", "ops,db")]
    [InlineData("ops db, dev", "ops,db;dev")]
    [InlineData(" , ", null)]
    public void Api_tag_expressions_become_the_binding_spelling_with_the_same_meaning(string expression, string? expected)
    {
        Assert.Equal(expected, AppriseApiNotify.ToBindingTag([expression]));
        // The same selection as the library's reading of the API expression.
        var api = AppriseTagFilter.FromApiExpression(expression);
        var binding = AppriseTagFilter.FromOptions(expected is null ? [] : [expected]);
        foreach (string[] tags in new[] { new[] { "ops" }, ["dev"], ["db"], ["ops", "db"], [] })
        {
            var set = new HashSet<string>(tags);
            Assert.Equal(api.Matches(set), binding.Matches(set));
        }
    }

    [Fact]
    public void No_tag_selects_untagged_urls_as_in_apprise()
    {
        var (message, _) = Parse("ops", "application/json", """{"body":"x"}""");
        Assert.Null(message!.Tag);
    }

    [Fact]
    public void An_unknown_key_is_answered_204_as_the_apprise_api_does()
    {
        var (message, answer) = Parse("nope", "application/json", """{"body":"x"}""");
        Assert.Null(message);
        Assert.Equal(HttpStatusCode.NoContent, answer!.Status);
    }

    [Theory]
    [InlineData("../ops")]
    [InlineData("a b")]
    [InlineData("")]
    [InlineData(null)]
    public void A_key_outside_the_api_alphabet_is_a_400(string? key)
    {
        var (message, answer) = Parse(key, "application/json", """{"body":"x"}""");
        Assert.Null(message);
        Assert.Equal(HttpStatusCode.BadRequest, answer!.Status);
        Assert.Contains("key", answer.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("application/json", """{"title":"only"}""", "body")]
    [InlineData("application/json", """{"body":"x","tag":"ops!"}""", "tag")]
    [InlineData("text/plain", "hello", "Content-Type")]
    public void Bad_payloads_are_400_naming_what_is_wrong(string contentType, string body, string reason)
    {
        var (message, answer) = Parse("ops", contentType, body);
        Assert.Null(message);
        Assert.Equal(HttpStatusCode.BadRequest, answer!.Status);
        Assert.Contains(reason, answer.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/notify/ops", "ops")]
    [InlineData("/api/notify/ops/", "ops")]
    [InlineData("/api/notify", null)]
    public void The_key_comes_from_the_route(string path, string? key) => Assert.Equal(key, AppriseApiNotify.KeyFromPath(path));

    [Fact]
    public void Key_and_tag_travel_through_the_message_json()
    {
        var sent = new XmppMessage { Body = "x", Key = "ops", Tag = "ops,db;dev" };
        var read = Assert.Single(XmppMessageJson.Parse(XmppMessageJson.Serialize(sent)));
        Assert.Equal("ops", read.Key);
        Assert.Equal("ops,db;dev", read.Tag);
        Assert.Throws<NotificationFormatException>(() => XmppMessageJson.Parse("""{"body":"x","key":"../XmppOther"}"""));
        Assert.Throws<NotificationFormatException>(() => XmppMessageJson.Parse("""{"body":"x","tag":"a|b"}"""));
    }
}
