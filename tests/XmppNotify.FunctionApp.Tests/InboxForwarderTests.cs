using System.Text.Json.Nodes;
using XmppNotify.FunctionApp.Tests.HostProtocol;
using XmppNotify.FunctionApp.Tests.HostProtocol.Rpc;
using HarnessStatus = XmppNotify.FunctionApp.Tests.HostProtocol.Rpc.StatusResult.Types.Status;

namespace XmppNotify.FunctionApp.Tests;

/// <summary>
/// The timer-triggered inbox forwarder of the built app. Forwarding itself (multipart posts, checkpoint only after
/// every item) is tested against a real webhook in Xmpp.Notifications.Tests (InboxForwardingTests) and end to end in
/// InboxForwarderEndToEndTests; here: what the host is told, and that a tick without XmppInboxWebhookUrl or
/// XmppInboxQueueName binds the timer, does nothing and succeeds.
/// </summary>
[Collection(FunctionAppDefinition.Name)]
public sealed class InboxForwarderTests(FunctionAppFixture app)
{
    [Fact]
    public void The_forwarder_is_a_timer_on_a_default_schedule_with_no_other_binding_and_needs_no_setting()
    {
        var metadata = JsonNode.Parse(File.ReadAllText(Path.Combine(FunctionAppOutput.Directory, "functions.metadata")))!.AsArray();
        var function = Assert.Single(metadata, f => (string?)f!["name"] == "InboxForwarder")!;
        var binding = Assert.Single(function["bindings"]!.AsArray())!;
        Assert.Equal("timerTrigger", (string?)binding["type"]);
        // A literal default, never %XmppInboxSchedule%: the host refuses to index a timer whose setting is missing,
        // even a disabled one. This fixture sets no inbox setting, and the worker reports the same default.
        Assert.Equal("0 */5 * * * *", (string?)binding["schedule"]);
        Assert.Equal("0 */5 * * * *", (string?)app.Host.Functions["InboxForwarder"].Trigger["schedule"]);
    }

    [Fact]
    public async Task Without_a_webhook_setting_a_tick_does_nothing_and_succeeds()
    {
        var timer = new TypedData { Json = """{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null,"IsPastDue":false}""" };
        var response = await app.Host.InvokeAsync("InboxForwarder", [new ParameterBinding { Name = "timer", Data = timer }]);

        Assert.True(response.Result.Status == HarnessStatus.Success, response.Result.Exception?.Message);
        Assert.Contains("Inbox forwarding is off", app.Host.Channel.LogText);
    }
}
