using System.Text;
using Xmpp.Notifications.Contracts.Requests;
using Xmpp.Notifications.Contracts;

namespace Xmpp.Notifications.Tests.Contracts;

/// <summary>
/// A request cannot fan out to more than <see cref="XmppMessageJson.MaxRecipientsPerMessage"/> recipients per message:
/// the audit's request (one JSON message naming 40,994 unique targets) is a 400 naming the cap, not 40,994 stanzas.
/// </summary>
public sealed class RecipientCapTests
{
    private static string Targets(int count) => string.Join(",", Enumerable.Range(0, count).Select(i => $"\"user{i}@example.org\""));

    [Fact]
    public void One_message_with_thousands_of_unique_targets_is_refused_naming_the_cap()
    {
        // The audit's shape: short unique targets filling a payload that is otherwise within every size limit.
        var to = string.Join(",", Enumerable.Range(0, 30_000).Select(i => $"t{i}"));
        var json = $$"""{"to":"{{to}}","body":"{{new string('x', 60 * 1024)}}"}""";
        Assert.True(Encoding.UTF8.GetByteCount(json) < XmppMessageJson.MaxPayloadBytes);

        var e = Assert.Throws<NotificationFormatException>(() => NotificationRequestParser.Parse("application/json", Encoding.UTF8.GetBytes(json)));

        Assert.Equal("to", e.Path);
        Assert.Contains($"at most {XmppMessageJson.MaxRecipientsPerMessage}", e.Message, StringComparison.Ordinal);
        Assert.Contains("\"t50\"", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_cap_counts_distinct_targets_in_a_string_or_an_array()
    {
        var atCap = XmppMessageJson.Parse($$"""{"to":[{{Targets(XmppMessageJson.MaxRecipientsPerMessage)}}],"body":"x"}""");
        Assert.Equal(XmppMessageJson.MaxRecipientsPerMessage, Assert.Single(atCap).To!.Split(',').Length);

        // Repeating a target does not add a recipient.
        var repeated = string.Join(",", Enumerable.Repeat("bob", 500));
        Assert.Single(XmppMessageJson.Parse($$"""{"to":"{{repeated}}","body":"x"}"""));

        var overString = string.Join(" ", Enumerable.Range(0, XmppMessageJson.MaxRecipientsPerMessage + 1).Select(i => $"u{i}"));
        var e = Assert.Throws<NotificationFormatException>(() => XmppMessageJson.Parse($$"""{"to":"{{overString}}","body":"x"}"""));
        Assert.Equal("to", e.Path);
        Assert.Contains("u50", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stanza_addressing_too_many_recipients_with_xep_0033_is_refused_naming_the_first_one_over()
    {
        string Stanza(int n) => "<message xmlns='jabber:client' type='chat'><body>x</body><addresses xmlns='http://jabber.org/protocol/address'>"
            + string.Concat(Enumerable.Range(0, n).Select(i => $"<address type='bcc' jid='u{i}@example.org'/>")) + "</addresses></message>";

        Assert.Equal(XmppMessageJson.MaxRecipientsPerMessage, MessageStanza.Parse(Stanza(XmppMessageJson.MaxRecipientsPerMessage)).Count);
        var e = Assert.Throws<NotificationFormatException>(() => MessageStanza.Parse(Stanza(5_000)));
        Assert.Contains("5000 recipients", e.Message, StringComparison.Ordinal);
        Assert.Contains($"u{XmppMessageJson.MaxRecipientsPerMessage}@example.org", e.Message, StringComparison.Ordinal);
        Assert.Contains($"at most {XmppMessageJson.MaxRecipientsPerMessage}", e.Message, StringComparison.Ordinal);
    }
}
