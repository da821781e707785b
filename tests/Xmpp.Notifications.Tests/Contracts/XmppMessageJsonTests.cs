using System.Text;
using Xmpp.Notifications.Contracts.Requests;
using Xmpp.Notifications.Contracts;

namespace Xmpp.Notifications.Tests.Contracts;

public class XmppMessageJsonTests
{
    [Fact]
    public void ReadsPascalCaseFromTheIsolatedWorker()
    {
        var message = Assert.Single(XmppMessageJson.Parse("""{"To":"bob@example.org","Title":"Deploy","Body":"done","Format":"Markdown","Type":"Headline"}"""));

        Assert.Equal("bob@example.org", message.To);
        Assert.Equal("Deploy", message.Title);
        Assert.Equal("done", message.Body);
        Assert.Equal("markdown", message.Format);
        Assert.Equal("headline", message.Type);
    }

    [Fact]
    public void ReadsCamelCaseAndNullsAndIgnoresUnknownProperties()
    {
        var message = Assert.Single(XmppMessageJson.Parse("""{"to":null,"title":null,"body":"hi","format":null,"priority":5}"""u8));

        Assert.Null(message.To);
        Assert.Null(message.Title);
        Assert.Equal("hi", message.Body);
        Assert.Null(message.Format);
    }

    [Fact]
    public void ArraysFanOutInOrder()
    {
        var messages = XmppMessageJson.Parse("""[{"body":"one"},{"Body":"two","to":["a@x","#ops@conf.x"]}]""");

        Assert.Equal(["one", "two"], messages.Select(m => m.Body));
        Assert.Equal("a@x,#ops@conf.x", messages[1].To);
    }

    [Fact]
    public void WrongPropertyTypeNamesThePathAndLine()
    {
        var ex = Assert.Throws<NotificationFormatException>(() => XmppMessageJson.Parse("[\n {\"body\":\"ok\"},\n {\"body\": 42}\n]"));

        Assert.Equal("[1].body must be a string, but it is a number. (line 3, position 11)", ex.Message);
        Assert.Equal("[1].body", ex.Path);
        Assert.Equal(3, ex.Line);
    }

    [Fact]
    public void MessageWithoutTitleOrBodyIsRejected()
    {
        var ex = Assert.Throws<NotificationFormatException>(() => XmppMessageJson.Parse("""[{"body":"x"},{"to":"bob@x","body":"  "}]"""));

        Assert.StartsWith("The message at [1] has neither a title nor a body", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"body":"x","format":"rtf"}""", "format \"rtf\" is not supported; expected text, markdown or html")]
    [InlineData("""{"body":"x","type":"groupchat"}""", "type \"groupchat\" is not supported; expected chat, normal or headline")]
    [InlineData("""{"body":"x","Body":"y"}""", "has both \"body\" and \"Body\"")]
    [InlineData("""{"body":"x","to":{"jid":"a"}}""", "to must be a string or an array of strings, but it is an object")]
    [InlineData("""{"body":"x",}x""", "not valid JSON")]
    [InlineData("\"just a string\"", "must be a message object or an array of them, but it is a string")]
    [InlineData("[]", "The JSON array is empty")]
    public void RejectionsSayWhatIsWrong(string json, string expected)
    {
        var ex = Assert.Throws<NotificationFormatException>(() => XmppMessageJson.Parse(json));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DeeplyNestedJsonHitsTheDepthLimit()
    {
        var json = $$"""{"body":"x","extra":{{new string('[', 5000)}}{{new string(']', 5000)}}}""";

        var ex = Assert.Throws<NotificationFormatException>(() => XmppMessageJson.Parse(json));

        Assert.Contains($"nested more than {XmppMessageJson.MaxJsonDepth} levels", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HugeNumbersAreReportedNotConverted()
    {
        var json = $$"""{"body": {{new string('9', 100_000)}}}""";

        var ex = Assert.Throws<NotificationFormatException>(() => XmppMessageJson.Parse(json));

        Assert.StartsWith("body must be a string, but it is a number.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LimitsAreEnforced()
    {
        var tooMany = "[" + string.Join(",", Enumerable.Repeat("""{"body":"x"}""", XmppMessageJson.MaxMessagesPerPayload + 1)) + "]";
        Assert.Contains("101 messages; at most 100", Assert.Throws<NotificationFormatException>(() => XmppMessageJson.Parse(tooMany)).Message, StringComparison.Ordinal);

        var bigBody = $$"""{"body":"{{new string('a', XmppMessageJson.MaxBodyBytes + 1)}}"}""";
        Assert.Contains("body is 65,537 bytes", Assert.Throws<NotificationFormatException>(() => XmppMessageJson.Parse(bigBody)).Message, StringComparison.Ordinal);

        var hugePayload = Encoding.UTF8.GetBytes($$"""{"body":"{{new string('a', 1024 * 1024)}}"}""");
        Assert.Contains("the limit is 262,144 bytes", Assert.Throws<NotificationFormatException>(() => XmppMessageJson.Parse(hugePayload)).Message, StringComparison.Ordinal);

        Assert.Single(XmppMessageJson.Parse(Encoding.UTF8.GetBytes($$"""{"body":"{{new string('a', XmppMessageJson.MaxBodyBytes)}}"}""")));
    }

    [Fact]
    public void SerializeWritesCamelCaseThatParsesBack()
    {
        var original = new XmppMessage { To = "bob@x", Title = "T <1>", Body = "line\n\"q\" é", Format = "html" };

        var json = XmppMessageJson.Serialize(original);

        Assert.Equal("{\"to\":\"bob@x\",\"title\":\"T <1>\",\"body\":\"line\\n\\\"q\\\" é\",\"format\":\"html\"}", json);
        var back = Assert.Single(XmppMessageJson.Parse(json));
        Assert.Equal((original.To, original.Title, original.Body, original.Format, original.Type), (back.To, back.Title, back.Body, back.Format, back.Type));
    }
}
