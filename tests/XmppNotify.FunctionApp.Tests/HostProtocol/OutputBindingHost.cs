using System.Collections.Concurrent;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Azure.WebJobs;
using Microsoft.Extensions.DependencyInjection;
using Xmpp.Notifications;
using XmppNotify.Azure.WebJobs.Extensions.Xmpp;
using XmppNotify.Azure.WebJobs.Extensions.Xmpp.Tests.Extension;
using XmppNotify.FunctionApp.Tests.HostProtocol.Rpc;

namespace XmppNotify.FunctionApp.Tests.HostProtocol;

/// <summary>
/// The host's half of an isolated-worker output binding, for the <c>xmpp</c> type: a real WebJobs JobHost with the
/// real XMPP extension, which gets the worker's output value the way the Functions host hands it over.
/// </summary>
/// <remarks>
/// The host turns the worker's <c>TypedData</c> into an object (JSON text is parsed, bytes stay bytes, strings stay
/// strings), then for an extension whose default type is <c>IAsyncCollector&lt;byte[]&gt;</c> it adds one item per
/// element of a JSON array (or the single value), each as UTF-8 bytes of its JSON or string form; the attribute is
/// built from the binding's metadata properties by name. The collector flushes when the invocation completes, and a
/// flush failure fails the invocation. A null or absent value binds nothing.
/// </remarks>
public sealed class OutputBindingHost : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<string, PendingOutput> Pending = new(StringComparer.Ordinal);
    private static readonly HashSet<string> MetadataOnlyKeys = new(StringComparer.OrdinalIgnoreCase) { "name", "type", "direction", "dataType", "properties" };

    private OutputBindingHost(JobHostRunner runner) => Runner = runner;

    public JobHostRunner Runner { get; }

    public static async Task<OutputBindingHost> StartAsync(IDictionary<string, string?> appSettings, XmppNotifierOptions notifierOptions) =>
        new(await JobHostRunner.StartAsync(
            typeof(HostFunctions),
            // The host reads app settings from the environment, where A__b is the configuration key A:b.
            appSettings.ToDictionary(s => s.Key.Replace("__", ":", StringComparison.Ordinal), s => s.Value, StringComparer.OrdinalIgnoreCase),
            notifier: null,
            services: s => s.AddSingleton(notifierOptions)).ConfigureAwait(false));

    /// <summary>The items the host would add to the collector for one output value (exposed for tests of the rule itself).</summary>
    public static IReadOnlyList<byte[]> CollectorItems(TypedData value)
    {
        switch (value.DataCase)
        {
            case TypedData.DataOneofCase.None:
                return [];
            case TypedData.DataOneofCase.Bytes:
                return [value.Bytes.ToByteArray()];
            case TypedData.DataOneofCase.Stream:
                return [value.Stream.ToByteArray()];
            case TypedData.DataOneofCase.CollectionBytes:
                return [.. value.CollectionBytes.Bytes.Select(b => b.ToByteArray())];
            case TypedData.DataOneofCase.CollectionString:
                return [.. value.CollectionString.String.SelectMany(StringItems)];
            case TypedData.DataOneofCase.Json:
                return JsonItems(JsonNode.Parse(value.Json));
            case TypedData.DataOneofCase.String:
                return StringItems(value.String);
            default:
                throw new NotSupportedException($"The xmpp binding cannot take a {value.DataCase} value.");
        }
    }

    /// <summary>
    /// Binds the function's <c>xmpp</c> outputs as the host does and completes the invocation, which flushes the
    /// collectors (connects, delivers, waits for the server's acknowledgements). Throws when a flush failed.
    /// </summary>
    public async Task BindAndFlushAsync(IReadOnlyList<(JsonObject Binding, TypedData Value)> outputs)
    {
        var key = Guid.NewGuid().ToString("N");
        Pending[key] = new PendingOutput(outputs.Select(o => (CreateAttribute(o.Binding), CollectorItems(o.Value))).ToArray());
        try
        {
            await Runner.CallAsync(typeof(HostFunctions), nameof(HostFunctions.BindOutputs), new { key }).ConfigureAwait(false);
        }
        finally
        {
            Pending.TryRemove(key, out _);
        }
    }

    public ValueTask DisposeAsync() => Runner.DisposeAsync();

    private static List<byte[]> StringItems(string text)
    {
        var trimmed = text.Trim();
        return trimmed.StartsWith('{') || trimmed.StartsWith('[') ? JsonItems(JsonNode.Parse(text)) : [Encoding.UTF8.GetBytes(text)];
    }

    private static List<byte[]> JsonItems(JsonNode? node) => node switch
    {
        null => [],
        JsonArray array => [.. array.Select(ItemBytes)],
        _ => [ItemBytes(node)],
    };

    private static byte[] ItemBytes(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s)
        ? Encoding.UTF8.GetBytes(s)
        : Encoding.UTF8.GetBytes(node?.ToJsonString() ?? "null");

    /// <summary>The host builds the binding attribute from the metadata: each remaining property sets the attribute property of that name.</summary>
    private static XmppAttribute CreateAttribute(JsonObject binding)
    {
        var attribute = new XmppAttribute();
        foreach (var (name, value) in binding)
        {
            if (MetadataOnlyKeys.Contains(name) || value is null)
            {
                continue;
            }

            var property = typeof(XmppAttribute).GetProperty(name, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase)
                ?? throw new InvalidOperationException($"The xmpp binding metadata has a property '{name}' that XmppAttribute does not have.");
            property.SetValue(attribute, value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString());
        }

        return attribute;
    }

    private sealed record PendingOutput(IReadOnlyList<(XmppAttribute Attribute, IReadOnlyList<byte[]> Items)> Outputs);

    public static class HostFunctions
    {
        [NoAutomaticTrigger]
        public static async Task BindOutputs(string key, IBinder binder)
        {
            ArgumentNullException.ThrowIfNull(binder);
            foreach (var (attribute, items) in Pending[key].Outputs)
            {
                var collector = await binder.BindAsync<IAsyncCollector<byte[]>>(attribute).ConfigureAwait(false);
                foreach (var item in items)
                {
                    await collector.AddAsync(item).ConfigureAwait(false);
                }
            }
        }
    }
}
