using System.Text;
using XmppNotify.FunctionApp.Tests.HostProtocol;
using HarnessStatus = XmppNotify.FunctionApp.Tests.HostProtocol.Rpc.StatusResult.Types.Status;

namespace XmppNotify.FunctionApp.Tests;

/// <summary>
/// The Storage queue consumer of the built app, invoked as the queue listener does (trigger value by the binding's
/// dataType, DequeueCount and the other queue metadata as trigger metadata), with the listener's retry and poison rule.
/// </summary>
[Collection(FunctionAppDefinition.Name)]
public sealed class QueueConsumerTests(FunctionAppFixture app)
{
    private const string Function = "StorageQueue";

    [Fact]
    public async Task A_queued_notification_is_delivered_and_the_message_deleted_on_the_first_attempt()
    {
        await using var carol = await app.Xmpp.IndependentReceiverAsync("carol");
        var marker = Guid.NewGuid().ToString("N");
        var delivery = await app.Host.DeliverQueueMessageAsync(Function, Encoding.UTF8.GetBytes($$"""{"to":"carol","title":"Queued","body":"{{marker}}"}"""), app.Outputs);

        Assert.Equal(QueueOutcome.Deleted, delivery.Outcome);
        var attempt = Assert.Single(delivery.Attempts);
        Assert.True(attempt.Result.Succeeded, attempt.Result.Failure);
        Assert.Empty(attempt.Result.OtherOutputs);
        var received = await carol.WaitForMessageAsync(m => m.Body?.Contains(marker, StringComparison.Ordinal) == true, TimeSpan.FromSeconds(10));
        Assert.StartsWith("Queued", received.Body, StringComparison.Ordinal);
        Assert.Equal(FunctionAppFixture.QueueName, delivery.QueueName);
    }

    [Fact]
    public async Task Plain_text_and_stanza_messages_are_delivered_like_POST_notify()
    {
        await using var bob = await app.Xmpp.ReceiverAsync("bob");
        var text = Guid.NewGuid().ToString("N");
        var stanza = Guid.NewGuid().ToString("N");
        Assert.Equal(QueueOutcome.Deleted, (await app.Host.DeliverQueueMessageAsync(Function, Encoding.UTF8.GetBytes($"disk full {text}"), app.Outputs)).Outcome);
        Assert.Equal(QueueOutcome.Deleted, (await app.Host.DeliverQueueMessageAsync(
            Function, Encoding.UTF8.GetBytes($"<message xmlns='jabber:client' to='bob@{app.Xmpp.Domain}'><body>{stanza}</body></message>"), app.Outputs)).Outcome);
        await bob.WaitForAsync(m => m.Body == $"disk full {text}");
        await bob.WaitForAsync(m => m.Body == stanza);
    }

    [Fact]
    public async Task An_unreadable_message_goes_unchanged_to_the_poison_queue_at_once_and_nothing_is_sent()
    {
        await using var bob = await app.Xmpp.ReceiverAsync("bob");
        var body = Encoding.UTF8.GetBytes("""{"to":"bob","body":""");
        var delivery = await app.Host.DeliverQueueMessageAsync(Function, body, app.Outputs);

        // The function settles it itself: one attempt, no xmpp output, the original bytes on the poison queue's output
        // binding (handed to the Storage extension, which the harness does not run), and the message deleted.
        var attempt = Assert.Single(delivery.Attempts);
        Assert.Equal(QueueOutcome.Deleted, delivery.Outcome);
        Assert.Equal(HarnessStatus.Success, attempt.Invocation.Result.Status);
        Assert.Null(FunctionsHostHarness.OutputValue(attempt.Invocation, "Messages"));
        var poison = Assert.Single(attempt.Result.OtherOutputs);
        Assert.Equal("queue", (string?)poison.Binding["type"]);
        Assert.Equal(delivery.PoisonQueueName, app.Host.ResolveSetting((string)poison.Binding["queueName"]!));
        Assert.Equal(body, poison.Value.Bytes.ToByteArray());

        var marker = Guid.NewGuid().ToString("N");
        Assert.Equal(QueueOutcome.Deleted, (await app.Host.DeliverQueueMessageAsync(Function, Encoding.UTF8.GetBytes(marker), app.Outputs)).Outcome);
        Assert.Equal(marker, (await bob.WaitForAsync(_ => true)).Body);
    }

    [Fact]
    public async Task A_delivery_failure_is_retried_until_maxDequeueCount_then_the_host_poisons_the_message()
    {
        var delivery = await app.Host.DeliverQueueMessageAsync(Function, Encoding.UTF8.GetBytes("never delivered"), app.WrongPasswordOutputs);

        Assert.Equal(QueueOutcome.MovedToPoisonQueue, delivery.Outcome);
        Assert.Equal(Enumerable.Range(1, delivery.MaxDequeueCount), delivery.Attempts.Select(a => a.DequeueCount));
        Assert.All(delivery.Attempts, a =>
        {
            // The worker succeeded each time; the extension's flush failed, which fails the invocation.
            Assert.Equal(HarnessStatus.Success, a.Invocation.Result.Status);
            Assert.False(a.Result.Succeeded);
            Assert.Contains("auth", HttpEndpointTests.DeliveryFailure(a.Result.FlushException).Message, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(app.WrongPassword, a.Result.FlushException!.ToString(), StringComparison.Ordinal);
        });
    }
}
