using System.Text;
using Xmpp.Notifications.Contracts.Requests;

namespace Xmpp.Notifications.Tests.Contracts;

public class QueuedNotificationTests
{
    private static QueuedNotification Read(string? contentType, string body, string? defaultContentType = null) =>
        QueuedNotification.Read(contentType, Encoding.UTF8.GetBytes(body), defaultContentType);

    [Fact]
    public void ReadablePayloadIsDeliveredNotSettledByTheConsumer()
    {
        var notification = Read("application/json", """[{"body":"a","to":"bob@example.org"},{"body":"b"}]""");

        Assert.Equal(QueueSettlement.Deliver, notification.Settlement);
        Assert.Equal(["a", "b"], notification.Messages.Select(m => m.Body));
        Assert.Null(notification.Reason);
        Assert.Null(notification.Description);
    }

    [Theory]
    [InlineData(null, "application/json", "{\"body\":\"j\"}", "j")]
    [InlineData("", "application/json", "{\"body\":\"j\"}", "j")]
    [InlineData("text/plain", "application/json", "{\"body\":\"j\"}", "{\"body\":\"j\"}")]
    [InlineData(null, null, "<message><body>x</body></message>", "x")]
    [InlineData(null, null, "disk full", "disk full")]
    public void MissingContentTypeFallsBackToTheDefaultThenToSniffing(string? contentType, string? defaultContentType, string body, string expected)
    {
        var notification = Read(contentType, body, defaultContentType);

        Assert.Equal(QueueSettlement.Deliver, notification.Settlement);
        Assert.Equal(expected, Assert.Single(notification.Messages).Body);
    }

    [Fact]
    public void ServiceBusDefaultReadsUnlabelledTextAsJsonAndRejectsIt()
    {
        // Service Bus consumers default to application/json; a text body without ContentType is a contract error there.
        var notification = Read(null, "disk full", "application/json");

        Assert.Equal(QueueSettlement.DeadLetter, notification.Settlement);
    }

    [Theory]
    [InlineData("application/json", "{\"title\":")]
    [InlineData("application/json", "")]
    [InlineData("image/png", "x")]
    [InlineData(null, "<message><body>x</body>")]
    public void UnreadablePayloadIsDeadLetteredWithTheParsersReason(string? contentType, string body)
    {
        var expected = Assert.Throws<NotificationFormatException>(() => NotificationRequestParser.Parse(contentType, Encoding.UTF8.GetBytes(body))).Message;

        var notification = Read(contentType, body);

        Assert.Equal(QueueSettlement.DeadLetter, notification.Settlement);
        Assert.Equal(QueuedNotification.InvalidNotificationReason, notification.Reason);
        Assert.Equal(expected, notification.Description);
        Assert.Empty(notification.Messages);
    }

    [Fact]
    public void InvalidUtf8IsDeadLettered()
    {
        var notification = QueuedNotification.Read("text/plain", new byte[] { (byte)'o', (byte)'k', 0xC3, 0x28 });

        Assert.Equal(QueueSettlement.DeadLetter, notification.Settlement);
        Assert.Contains("UTF-8", notification.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void LongReasonsAreCutToFitTheDeadLetterProperties()
    {
        // An unknown element name is quoted by the parser; make that quote longer than the limit.
        var body = $"<{new string('x', 3 * QueuedNotification.MaxDescriptionLength)}/>";
        var full = Assert.Throws<NotificationFormatException>(() => NotificationRequestParser.Parse("application/xml", Encoding.UTF8.GetBytes(body))).Message;
        Assert.True(full.Length > QueuedNotification.MaxDescriptionLength, $"parser message is only {full.Length} characters");

        var notification = Read("application/xml", body);

        Assert.Equal(QueueSettlement.DeadLetter, notification.Settlement);
        Assert.Equal(full[..QueuedNotification.MaxDescriptionLength], notification.Description);
    }
}
