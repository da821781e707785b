using System.Text;
using Xmpp.Notifications.Contracts.Requests;

namespace Xmpp.Notifications.Tests.Contracts;

/// <summary>Characters no XML stanza can carry, sent to the request parsers: a 400-class error naming the place, never a 500.</summary>
public sealed class HostileCharacterTests
{
    private static NotificationFormatException Rejection(string? contentType, string body) =>
        Assert.Throws<NotificationFormatException>(() => NotificationRequestParser.Parse(contentType, Encoding.UTF8.GetBytes(body)));

    [Theory]
    [InlineData("""{"body":"\ud800"}""", "body")]
    [InlineData("""{"title":"x\udfff","body":"b"}""", "title")]
    [InlineData("""[{"body":"ok"},{"body":"bad \udc00 here"}]""", "[1].body")]
    [InlineData("""{"to":["bob","\ud83d"],"body":"b"}""", "to[1]")]
    public void An_escaped_lone_surrogate_is_a_format_error_at_its_path(string json, string path)
    {
        // System.Text.Json throws InvalidOperationException for these; the caller must get a 400, not a 500.
        var error = Rejection("application/json", json);
        Assert.Contains("not valid Unicode", error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.IsType<InvalidOperationException>(error.InnerException);
    }

    [Fact]
    public void An_escaped_lone_surrogate_in_a_property_name_is_a_format_error()
    {
        Assert.Contains("not valid Unicode", Rejection("application/json", """{"\ud800":"x","body":"b"}""").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_escaped_surrogate_pair_is_text()
    {
        var message = Assert.Single(NotificationRequestParser.Parse("application/json", """{"body":"\ud83d\udcf1"}"""u8.ToArray()));
        Assert.Equal("📱", message.Body);
    }

    [Theory]
    [InlineData("""{"to":"bob,eve\u0001","body":"b"}""", "eve\\u0001", "control character U+0001")]
    [InlineData("""{"to":["bob","mal\uFFFElory"],"body":"b"}""", "mal\\uFFFElory", "noncharacter U+FFFE")]
    [InlineData("""{"to":"x\u001b[31m","body":"b"}""", "x\\u001B[31m", "control character U+001B")]
    [InlineData("""{"to":"bob \ufdd0","body":"b"}""", "\\uFDD0", "noncharacter U+FDD0")]
    public void A_target_no_address_can_hold_is_refused_by_name(string json, string shown, string what)
    {
        var error = Rejection("application/json", json);
        Assert.Contains($"\"{shown}\"", error.Message, StringComparison.Ordinal);
        Assert.Contains(what, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\u0001', error.Message);
        Assert.DoesNotContain('\u001b', error.Message);
    }

    [Fact]
    public void A_target_with_control_characters_in_a_stanza_is_refused()
    {
        // XML 1.0 allows U+FFFE in no form, so a stanza carries it only as the noncharacter U+FDD0 or similar.
        var error = Rejection("application/xml", "<message to='bob@example.org/\uFDD1'><body>x</body></message>");
        Assert.Contains("noncharacter U+FDD1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Control_characters_in_a_body_are_accepted_and_left_to_the_composer()
    {
        // The body is cleaned when the stanza is composed (colour codes removed), so a piped log still gets through.
        var message = Assert.Single(NotificationRequestParser.Parse("application/json", """{"body":"\u001b[31mred\u001b[0m"}"""u8.ToArray()));
        Assert.Equal("\u001b[31mred\u001b[0m", message.Body);
    }
}
