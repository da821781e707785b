using System.Reflection;
using System.Text.Json.Nodes;
using XmppNotify.Azure.WebJobs.Extensions.Xmpp;
using XmppNotify.FunctionApp.Tests.HostProtocol;

namespace XmppNotify.FunctionApp.Tests;

/// <summary>What the built app tells the host about itself: functions.metadata, extensions.json, the worker's own index and runtime.</summary>
[Collection(FunctionAppDefinition.Name)]
public sealed class MetadataTests(FunctionAppFixture app)
{
    private static JsonArray FunctionsMetadata() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(FunctionAppOutput.Directory, "functions.metadata")))!.AsArray();

    private static IEnumerable<JsonObject> Bindings(JsonNode function) => function["bindings"]!.AsArray().Select(b => b!.AsObject());

    private static string? Type(JsonObject binding) => (string?)binding["type"];

    private static bool IsXmppOutput(JsonObject binding) =>
        Type(binding) == "xmpp" && (string?)binding["direction"] == "Out" && (string?)binding["connection"] == "XmppConnection";

    [Fact]
    public void Every_http_endpoint_has_an_xmpp_output_and_an_http_response_binding_except_message_which_sends_itself()
    {
        var http = FunctionsMetadata().Where(f => Bindings(f!).Any(b => Type(b) == "httpTrigger")).ToArray();
        Assert.Equal(["Alertmanager", "AppriseNotify", "AzureMonitor", "Grafana", "Message", "Notify"], http.Select(f => (string)f!["name"]!).Order(StringComparer.Ordinal));
        Assert.All(http, f =>
        {
            Assert.Equal("dotnet-isolated", (string?)f!["language"]);
            Assert.Single(Bindings(f), b => Type(b) == "http" && (string?)b["direction"] == "Out");
        });

        // POST /api/message logs in before it answers (a wrong password is a 401), so the binding, which flushes after
        // the function returned, must not be on it: the account's credentials never reach the host.
        Assert.All(http.Where(f => (string?)f!["name"] != "Message"), f => Assert.Single(Bindings(f!), IsXmppOutput));
        Assert.DoesNotContain(Bindings(http.Single(f => (string?)f!["name"] == "Message")!), b => Type(b) == "xmpp");
    }

    [Fact]
    public void The_storage_queue_consumer_has_an_xmpp_output_and_a_poison_queue_output()
    {
        var queue = Assert.Single(FunctionsMetadata(), f => Bindings(f!).Any(b => Type(b) == "queueTrigger"))!;
        Assert.Equal("StorageQueue", (string?)queue["name"]);
        var trigger = Bindings(queue).Single(b => Type(b) == "queueTrigger");
        Assert.Equal("%XmppStorageQueueName%", (string?)trigger["queueName"]);
        Assert.Single(Bindings(queue), IsXmppOutput);
        Assert.Single(Bindings(queue), b => Type(b) == "queue" && (string?)b["queueName"] == "%XmppStorageQueueName%-poison");
    }

    [Fact]
    public void The_service_bus_consumer_is_in_the_metadata_exactly_when_the_build_included_it()
    {
        // scripts/build-functions.sh leaves it out unless XMPP_SERVICE_BUS=true: its worker extension package is not
        // restorable here. Whatever was built, the metadata must say so, and a built consumer must have its xmpp output.
        var serviceBus = FunctionsMetadata().Where(f => Bindings(f!).Any(b => Type(b) == "serviceBusTrigger")).ToArray();
        if (string.Equals(Environment.GetEnvironmentVariable("XMPP_SERVICE_BUS"), "true", StringComparison.OrdinalIgnoreCase))
        {
            var function = Assert.Single(serviceBus)!;
            Assert.Single(Bindings(function), IsXmppOutput);
        }
        else
        {
            Assert.Empty(serviceBus);
            Assert.DoesNotContain(app.Host.Functions.Values, f => Type(f.Trigger) == "serviceBusTrigger");
        }
    }

    [Fact]
    public void The_worker_indexes_the_same_functions_and_bindings_as_functions_metadata_and_loads_them_all()
    {
        static string Shape(IEnumerable<JsonObject> bindings) =>
            string.Join(";", bindings.Select(b => $"{b["name"]}:{b["type"]}:{b["direction"]}").Order(StringComparer.Ordinal));

        var file = FunctionsMetadata().ToDictionary(f => (string)f!["name"]!, f => Shape(Bindings(f!)), StringComparer.Ordinal);
        var indexed = app.Host.Functions.Values.ToDictionary(f => f.Name, f => Shape(f.Bindings), StringComparer.Ordinal);
        Assert.Equal(file.OrderBy(p => p.Key, StringComparer.Ordinal), indexed.OrderBy(p => p.Key, StringComparer.Ordinal));

        // Everything the worker sent was a response the harness asked for, or a log.
        Assert.Empty(app.Host.Channel.Unexpected);
    }

    [Fact]
    public void The_app_targets_net10_and_the_worker_runs_on_dotnet_10()
    {
        var runtimeConfig = JsonNode.Parse(File.ReadAllText(Path.Combine(FunctionAppOutput.Directory, "XmppNotify.FunctionApp.runtimeconfig.json")))!;
        Assert.Equal("net10.0", (string?)runtimeConfig["runtimeOptions"]!["tfm"]);
        Assert.StartsWith("10.", app.Host.WorkerInit.WorkerMetadata.RuntimeVersion, StringComparison.Ordinal);
    }

    [Fact]
    public void Extensions_json_names_the_xmpp_startup_and_the_assembly_it_ships()
    {
        var extensions = JsonNode.Parse(File.ReadAllText(Path.Combine(FunctionAppOutput.Directory, "extensions.json")))!["extensions"]!.AsArray();
        var startup = typeof(XmppWebJobsStartup);
        var xmpp = Assert.Single(extensions, e => ((string?)e!["typeName"])?.StartsWith(startup.FullName + ", ", StringComparison.Ordinal) == true)!;
        Assert.Equal("./.azurefunctions/" + startup.Assembly.GetName().Name + ".dll", (string?)xmpp["hintPath"]);

        // The assembly at hintPath is the one the type name asks for (name and version), and declares the startup.
        var shipped = Path.Combine(FunctionAppOutput.Directory, ".azurefunctions", startup.Assembly.GetName().Name + ".dll");
        Assert.True(File.Exists(shipped), shipped);
        var typeName = (string)xmpp["typeName"]!;
        var requested = new AssemblyName(typeName[(typeName.IndexOf(',', StringComparison.Ordinal) + 1)..].Trim());
        var actual = AssemblyName.GetAssemblyName(shipped);
        Assert.Equal(requested.Name, actual.Name);
        Assert.Equal(requested.Version, actual.Version);
        Assert.Contains(startup.Assembly.GetCustomAttributesData(), a => a.AttributeType.Name == "WebJobsStartupAttribute" && Equals(a.ConstructorArguments[0].Value, startup));
    }
}
