using System.Text.Json.Nodes;
using Microsoft.Azure.Functions.Worker.Core.FunctionMetadata;

namespace XmppNotify.FunctionApp.Inbox;

/// <summary>
/// The forwarder's timer schedule: <see cref="DefaultSchedule"/> unless the app setting <c>XmppInboxSchedule</c> gives
/// one. The attribute carries the default rather than <c>%XmppInboxSchedule%</c> because the host refuses to index a
/// timer whose <c>%setting%</c> is missing, even a disabled one, and an app without the inbox settings must start
/// cleanly. The setting is applied to the function metadata the worker reports to the host (worker indexing, which this
/// app declares in worker.config.json).
/// </summary>
internal sealed class InboxSchedule : IFunctionMetadataTransformer
{
    public const string FunctionName = "InboxForwarder";

    /// <summary>Every 5 minutes (NCRONTAB, seconds first).</summary>
    public const string DefaultSchedule = "0 */5 * * * *";

    public const string Setting = "XmppInboxSchedule";

    public string Name => nameof(InboxSchedule);

    public void Transform(IList<IFunctionMetadata> original)
    {
        ArgumentNullException.ThrowIfNull(original);
        if (Environment.GetEnvironmentVariable(Setting) is not { } schedule || string.IsNullOrWhiteSpace(schedule))
            return;
        foreach (var function in original)
        {
            if (function.Name != FunctionName || function.RawBindings is not { } bindings)
                continue;
            for (var i = 0; i < bindings.Count; i++)
            {
                if (JsonNode.Parse(bindings[i]) is JsonObject binding && (string?)binding["type"] == "timerTrigger")
                {
                    binding["schedule"] = schedule.Trim();
                    bindings[i] = binding.ToJsonString();
                }
            }
        }
    }
}
