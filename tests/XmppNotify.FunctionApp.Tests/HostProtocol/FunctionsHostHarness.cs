using System.Collections.ObjectModel;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using XmppNotify.FunctionApp.Tests.HostProtocol.Rpc;

namespace XmppNotify.FunctionApp.Tests.HostProtocol;

/// <summary>
/// Plays the Functions host for the built function app: starts the worker process with the host's arguments and
/// environment, speaks the worker protocol over gRPC (StartStream, WorkerInitRequest, FunctionsMetadataRequest,
/// FunctionLoadRequest, InvocationRequest), and does with an invocation's result what the host does: <c>xmpp</c>
/// outputs go to the real host extension (<see cref="OutputBindingHost"/>), flushed before the HTTP response is
/// composed; a failed invocation or flush is a 500; queue messages are retried by dequeue count and poisoned.
/// </summary>
public sealed class FunctionsHostHarness : IAsyncDisposable
{
    /// <summary>The host's default grpcMaxMessageLength.</summary>
    private const int GrpcMaxMessageLength = int.MaxValue;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ProtocolTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan InvocationTimeout = TimeSpan.FromSeconds(90);

    private readonly FunctionRpcEndpoint _endpoint;
    private readonly GuardedProcess _worker;
    private readonly IReadOnlyDictionary<string, string?> _appSettings;

    private FunctionsHostHarness(FunctionRpcEndpoint endpoint, GuardedProcess worker, WorkerChannel channel, string appDirectory, IReadOnlyDictionary<string, string?> appSettings)
    {
        _endpoint = endpoint;
        _worker = worker;
        Channel = channel;
        AppDirectory = appDirectory;
        _appSettings = appSettings;
    }

    public string AppDirectory { get; }

    public WorkerChannel Channel { get; }

    /// <summary>The worker's WorkerInitResponse (capabilities, version).</summary>
    public WorkerInitResponse WorkerInit { get; private set; } = new();

    /// <summary>What the worker's FunctionsMetadataRequest returned, by function name, once loaded.</summary>
    public IReadOnlyDictionary<string, LoadedFunction> Functions { get; private set; } = ReadOnlyDictionary<string, LoadedFunction>.Empty;

    public IReadOnlyDictionary<string, string> WorkerCapabilities => WorkerInit.Capabilities;

    /// <summary>The worker's console output (stdout and stderr tails), for failure messages.</summary>
    public string WorkerConsole => $"stdout:\n{_worker.StandardOutputTail}\nstderr:\n{_worker.StandardErrorTail}";

    public static async Task<FunctionsHostHarness> StartAsync(string appDirectory, IReadOnlyDictionary<string, string?> appSettings, CancellationToken cancellationToken = default)
    {
        var workerConfig = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(appDirectory, "worker.config.json"), cancellationToken).ConfigureAwait(false))!["description"]!;
        var executable = (string?)workerConfig["defaultExecutablePath"] ?? "dotnet";
        var workerPath = Path.Combine(appDirectory, (string?)workerConfig["defaultWorkerPath"] ?? throw new InvalidOperationException("worker.config.json names no defaultWorkerPath."));
        if (executable == "dotnet")
        {
            // The same runtime that runs the tests (the host uses the one on PATH).
            executable = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        }

        var endpoint = await FunctionRpcEndpoint.StartAsync(cancellationToken).ConfigureAwait(false);
        GuardedProcess? worker = null;
        WorkerChannel channel;
        var workerId = Guid.NewGuid().ToString();
        var requestId = Guid.NewGuid().ToString();
        try
        {
            var maxLength = GrpcMaxMessageLength.ToString(CultureInfo.InvariantCulture);

            // The host passes both generations of arguments: the worker SDK reads the --functions-* ones.
            string[] arguments =
            [
                workerPath,
                "--host", endpoint.Uri.Host, "--port", endpoint.Uri.Port.ToString(CultureInfo.InvariantCulture),
                "--workerId", workerId, "--requestId", requestId, "--grpcMaxMessageLength", maxLength,
                "--functions-uri", endpoint.Uri.AbsoluteUri, "--functions-worker-id", workerId,
                "--functions-request-id", requestId, "--functions-grpc-max-message-length", maxLength,
            ];

            // The environment the host gives its worker: the app settings, the runtime, and the app's folder.
            var environment = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["FUNCTIONS_WORKER_RUNTIME"] = "dotnet-isolated",
                ["FUNCTIONS_APPLICATION_DIRECTORY"] = appDirectory,
                ["FUNCTIONS_WORKER_DIRECTORY"] = appDirectory,
                ["AzureWebJobsScriptRoot"] = appDirectory,
                ["AZURE_FUNCTIONS_ENVIRONMENT"] = "Development",
                ["DOTNET_NOLOGO"] = "1",
            };
            foreach (var (name, value) in appSettings)
            {
                if (value is not null)
                {
                    environment[name] = value;
                }
            }

            worker = GuardedProcess.Start(executable, arguments, appDirectory, environment);
            using var starting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var exited = worker.WaitForExitAsync(StartTimeout, starting.Token);
            var accepted = endpoint.AcceptAsync(workerId, StartTimeout, starting.Token);
            if (await Task.WhenAny(accepted, exited).ConfigureAwait(false) != accepted)
            {
                throw new InvalidOperationException($"The worker exited with code {worker.ExitCode} before it opened its stream.");
            }

            await starting.CancelAsync().ConfigureAwait(false);
            channel = await accepted.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            var console = worker is null ? "" : Console(worker);
            if (worker is not null)
            {
                await worker.DisposeAsync().ConfigureAwait(false);
            }

            await endpoint.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"The worker did not connect to the host endpoint: {ex.Message}\n{console}", ex);
        }

        var harness = new FunctionsHostHarness(endpoint, worker, channel, appDirectory, appSettings);
        try
        {
            await harness.InitializeAsync(requestId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            var console = harness.WorkerConsole;
            await harness.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"The worker did not start: {ex.Message}\n{console}", ex);
        }

        return harness;
    }

    /// <summary>Sends one InvocationRequest and returns the worker's InvocationResponse.</summary>
    public async Task<InvocationResponse> InvokeAsync(
        string functionName, IEnumerable<ParameterBinding> inputData, IReadOnlyDictionary<string, TypedData>? triggerMetadata = null, CancellationToken cancellationToken = default)
    {
        var function = Function(functionName);
        var request = new InvocationRequest
        {
            InvocationId = Guid.NewGuid().ToString(),
            FunctionId = function.FunctionId,
            TraceContext = new RpcTraceContext { TraceParent = $"00-{RandomHex(16)}-{RandomHex(8)}-01" },
        };
        request.InputData.Add(inputData);
        if (triggerMetadata is not null)
        {
            foreach (var (key, value) in triggerMetadata)
            {
                request.TriggerMetadata[key] = value;
            }
        }

        var response = await Channel.RequestAsync(
            new StreamingMessage { InvocationRequest = request }, WorkerChannel.Keys.Invocation(request.InvocationId), InvocationTimeout, cancellationToken).ConfigureAwait(false);
        return response.InvocationResponse;
    }

    /// <summary>
    /// An HTTP request to an HTTP-triggered function, answered as the host answers with the built-in model: the
    /// <c>http</c> output becomes the response only after every other output binding was bound and flushed; a
    /// failed invocation or a failed flush is a 500.
    /// </summary>
    public async Task<HttpExchange> SendHttpAsync(string functionName, HarnessHttpRequest request, OutputBindingHost outputs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        var function = Function(functionName);
        var trigger = function.Trigger;
        if (!string.Equals((string?)trigger["type"], "httpTrigger", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"{functionName} is not HTTP-triggered.");
        }

        var invocation = await InvokeAsync(
            functionName,
            [new ParameterBinding { Name = (string)trigger["name"]!, Data = HttpTrigger.ToRpcHttp(request, WorkerCapabilities) }],
            triggerMetadata: null, // RpcHttpTriggerMetadataRemoved: the host sends no headers/query/req trigger metadata.
            cancellationToken).ConfigureAwait(false);
        var result = await CompleteAsync(function, invocation, outputs).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            return new HttpExchange(HttpTrigger.InternalServerError, invocation, result);
        }

        var http = function.OutputBindings.SingleOrDefault(b => string.Equals((string?)b["type"], "http", StringComparison.OrdinalIgnoreCase))
            ?? throw new InvalidOperationException($"{functionName} has no http output binding.");
        var value = OutputValue(invocation, (string)http["name"]!)
            ?? throw new InvalidOperationException($"{functionName} returned no value for its http output '{http["name"]}'.");
        return new HttpExchange(HttpTrigger.FromRpcHttp(value), invocation, result);
    }

    /// <summary>
    /// A Storage queue message as the queue listener handles it: invoked with DequeueCount 1, 2, …; a successful
    /// invocation (outputs flushed) deletes it; a failed one makes it visible again, and once DequeueCount reached
    /// host.json <c>extensions:queues:maxDequeueCount</c> (default 5) it is moved to <c>&lt;queue&gt;-poison</c>.
    /// </summary>
    public async Task<QueueDelivery> DeliverQueueMessageAsync(string functionName, byte[] message, OutputBindingHost outputs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(outputs);
        var function = Function(functionName);
        var trigger = function.Trigger;
        if (!string.Equals((string?)trigger["type"], "queueTrigger", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"{functionName} is not queue-triggered.");
        }

        var queueName = ResolveSetting((string?)trigger["queueName"] ?? throw new InvalidOperationException("queueTrigger without queueName"));
        var maxDequeueCount = await MaxDequeueCountAsync(cancellationToken).ConfigureAwait(false);
        var id = Guid.NewGuid().ToString();
        var inserted = DateTimeOffset.UtcNow;
        var attempts = new List<QueueAttempt>();
        for (var dequeueCount = 1; ; dequeueCount++)
        {
            // The trigger value by the binding's dataType, and the queue trigger's binding data as trigger metadata:
            // strings as strings, the rest as the JSON the host serializes them to.
            var input = string.Equals((string?)trigger["dataType"], "Binary", StringComparison.OrdinalIgnoreCase)
                ? new TypedData { Bytes = ByteString.CopyFrom(message) }
                : new TypedData { String = System.Text.Encoding.UTF8.GetString(message) };
            var metadata = new Dictionary<string, TypedData>(StringComparer.Ordinal)
            {
                ["QueueTrigger"] = new() { String = System.Text.Encoding.UTF8.GetString(message) },
                ["DequeueCount"] = new() { Json = dequeueCount.ToString(CultureInfo.InvariantCulture) },
                ["Id"] = new() { String = id },
                ["PopReceipt"] = new() { String = RandomHex(8) },
                ["InsertionTime"] = new() { Json = JsonSerializer.Serialize(inserted) },
                ["ExpirationTime"] = new() { Json = JsonSerializer.Serialize(inserted.AddDays(7)) },
                ["NextVisibleTime"] = new() { Json = JsonSerializer.Serialize(DateTimeOffset.UtcNow.AddMinutes(10)) },
            };
            var invocation = await InvokeAsync(
                functionName, [new ParameterBinding { Name = (string)trigger["name"]!, Data = input }], metadata, cancellationToken).ConfigureAwait(false);
            var result = await CompleteAsync(function, invocation, outputs).ConfigureAwait(false);
            attempts.Add(new QueueAttempt(dequeueCount, invocation, result));
            if (result.Succeeded)
            {
                return new QueueDelivery(QueueName: queueName, Outcome: QueueOutcome.Deleted, MaxDequeueCount: maxDequeueCount, Attempts: attempts);
            }

            if (dequeueCount >= maxDequeueCount)
            {
                return new QueueDelivery(QueueName: queueName, Outcome: QueueOutcome.MovedToPoisonQueue, MaxDequeueCount: maxDequeueCount, Attempts: attempts);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!Channel.Closed.IsCompleted)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await Channel.SendAsync(new StreamingMessage { WorkerTerminate = new WorkerTerminate { GracePeriod = Duration.FromTimeSpan(TimeSpan.FromSeconds(5)) } }, timeout.Token).ConfigureAwait(false);
                await _worker.WaitForExitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException or Grpc.Core.RpcException)
        {
            // The worker is already gone; the process guard below makes sure.
        }
        finally
        {
            await _worker.DisposeAsync().ConfigureAwait(false);
            await _endpoint.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>An app setting reference (<c>%Name%</c>) resolved the way the host resolves binding expressions.</summary>
    public string ResolveSetting(string value)
    {
        var parts = value.Split('%');
        for (var i = 1; i < parts.Length; i += 2)
        {
            parts[i] = _appSettings.TryGetValue(parts[i], out var setting) && setting is not null
                ? setting
                : throw new InvalidOperationException($"The app setting '{parts[i]}' is not set.");
        }

        return string.Concat(parts);
    }

    /// <summary>The value the worker returned for an output binding: <c>$return</c> is the return value, the others output data.</summary>
    public static TypedData? OutputValue(InvocationResponse invocation, string bindingName)
    {
        if (bindingName == "$return" && invocation.ReturnValue is { DataCase: not TypedData.DataOneofCase.None } returned)
        {
            return returned;
        }

        return invocation.OutputData.FirstOrDefault(o => o.Name == bindingName)?.Data is { DataCase: not TypedData.DataOneofCase.None } data ? data : null;
    }

    private LoadedFunction Function(string name) =>
        Functions.TryGetValue(name, out var function) ? function : throw new ArgumentException($"The worker did not index a function named {name}; it has {string.Join(", ", Functions.Keys)}.", nameof(name));

    /// <summary>
    /// The host's part after the worker answered: a failed invocation fails; otherwise every non-http output with a
    /// value is bound — <c>xmpp</c> through the real extension, flushed; other types are recorded as handed to their
    /// extensions, which the harness does not run.
    /// </summary>
    private static async Task<InvocationResult> CompleteAsync(LoadedFunction function, InvocationResponse invocation, OutputBindingHost outputs)
    {
        if (invocation.Result?.Status != StatusResult.Types.Status.Success)
        {
            return new InvocationResult(false, invocation.Result?.Exception?.Message ?? "the worker reported a failure", null, []);
        }

        var xmpp = new List<(JsonObject, TypedData)>();
        var others = new List<OtherOutput>();
        foreach (var binding in function.OutputBindings)
        {
            var type = (string?)binding["type"];
            if (string.Equals(type, "http", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var value = OutputValue(invocation, (string)binding["name"]!);
            if (value is null)
            {
                continue;
            }

            if (string.Equals(type, "xmpp", StringComparison.OrdinalIgnoreCase))
            {
                xmpp.Add((binding, value));
            }
            else
            {
                others.Add(new OtherOutput(binding, value));
            }
        }

        if (xmpp.Count == 0)
        {
            return new InvocationResult(true, null, null, others);
        }

        try
        {
            await outputs.BindAndFlushAsync(xmpp).ConfigureAwait(false);
            return new InvocationResult(true, null, null, others);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return new InvocationResult(false, ex.Message, ex, others);
        }
    }

    private async Task InitializeAsync(string requestId, CancellationToken cancellationToken)
    {
        var init = new WorkerInitRequest { HostVersion = "4.1049.0", WorkerDirectory = AppDirectory, FunctionAppDirectory = AppDirectory };
        foreach (var capability in new[] { "RawHttpBodyBytes", "RpcHttpBodyOnly", "RpcHttpTriggerMetadataRemoved", "TypedDataCollection", "WorkerStatus", "UseNullableValueDictionaryForHttp" })
        {
            init.Capabilities[capability] = "true";
        }

        var initResponse = (await Channel.RequestAsync(new StreamingMessage { RequestId = requestId, WorkerInitRequest = init }, WorkerChannel.Keys.Init, ProtocolTimeout, cancellationToken).ConfigureAwait(false)).WorkerInitResponse;
        Require(initResponse.Result, "WorkerInitRequest");
        WorkerInit = initResponse;

        // worker.config.json says workerIndexing: the host asks the worker for its functions rather than reading files.
        var metadata = (await Channel.RequestAsync(
            new StreamingMessage { RequestId = requestId, FunctionsMetadataRequest = new FunctionsMetadataRequest { FunctionAppDirectory = AppDirectory } },
            WorkerChannel.Keys.Metadata, ProtocolTimeout, cancellationToken).ConfigureAwait(false)).FunctionMetadataResponse;
        Require(metadata.Result, "FunctionsMetadataRequest");

        var functions = new Dictionary<string, LoadedFunction>(StringComparer.Ordinal);
        foreach (var indexed in metadata.FunctionMetadataResults)
        {
            var loaded = LoadedFunction.From(indexed, AppDirectory);
            var load = new FunctionLoadRequest { FunctionId = loaded.FunctionId, Metadata = loaded.LoadMetadata };
            var response = (await Channel.RequestAsync(
                new StreamingMessage { RequestId = requestId, FunctionLoadRequest = load }, WorkerChannel.Keys.Load(loaded.FunctionId), ProtocolTimeout, cancellationToken).ConfigureAwait(false)).FunctionLoadResponse;
            Require(response.Result, $"FunctionLoadRequest {loaded.Name}");
            functions[loaded.Name] = loaded;
        }

        Functions = functions;
    }

    private async Task<int> MaxDequeueCountAsync(CancellationToken cancellationToken)
    {
        var hostJson = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(AppDirectory, "host.json"), cancellationToken).ConfigureAwait(false));
        return hostJson?["extensions"]?["queues"]?["maxDequeueCount"]?.GetValue<int>() ?? 5;
    }

    private static void Require(StatusResult? result, string what)
    {
        if (result?.Status != StatusResult.Types.Status.Success)
        {
            throw new InvalidOperationException($"{what} failed: {result?.Exception?.Message ?? result?.Result ?? "no result"}");
        }
    }

    private static string Console(GuardedProcess worker) => $"stdout:\n{worker.StandardOutputTail}\nstderr:\n{worker.StandardErrorTail}";

    private static string RandomHex(int bytes) => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes));
}

/// <summary>A function as indexed by the worker and loaded into it.</summary>
public sealed record LoadedFunction(string Name, string FunctionId, RpcFunctionMetadata Indexed, RpcFunctionMetadata LoadMetadata, IReadOnlyList<JsonObject> Bindings)
{
    public JsonObject Trigger => Bindings.Single(b => ((string?)b["type"])?.EndsWith("Trigger", StringComparison.OrdinalIgnoreCase) == true);

    public IReadOnlyList<JsonObject> OutputBindings => [.. Bindings.Where(b => string.Equals((string?)b["direction"], "out", StringComparison.OrdinalIgnoreCase))];

    internal static LoadedFunction From(RpcFunctionMetadata indexed, string appDirectory)
    {
        var bindings = indexed.RawBindings.Select(raw => JsonNode.Parse(raw)?.AsObject() ?? throw new InvalidOperationException($"raw binding '{raw}' is not an object")).ToArray();
        var functionId = string.IsNullOrEmpty(indexed.FunctionId) ? Guid.NewGuid().ToString() : indexed.FunctionId;

        // What the host sends back in FunctionLoadRequest: name, entry point, the script file resolved against the
        // app's folder, and one BindingInfo per binding (type, direction, data type).
        var load = new RpcFunctionMetadata
        {
            Name = indexed.Name,
            FunctionId = functionId,
            Directory = indexed.Directory,
            EntryPoint = indexed.EntryPoint,
            ScriptFile = Path.GetFullPath(Path.Combine(appDirectory, indexed.ScriptFile)),
            Language = indexed.Language,
        };
        foreach (var binding in bindings)
        {
            var info = new BindingInfo
            {
                Type = (string?)binding["type"] ?? "",
                Direction = ((string?)binding["direction"])?.ToUpperInvariant() switch
                {
                    "OUT" => BindingInfo.Types.Direction.Out,
                    "INOUT" => BindingInfo.Types.Direction.Inout,
                    _ => BindingInfo.Types.Direction.In,
                },
                DataType = ((string?)binding["dataType"])?.ToUpperInvariant() switch
                {
                    "STRING" => BindingInfo.Types.DataType.String,
                    "BINARY" => BindingInfo.Types.DataType.Binary,
                    "STREAM" => BindingInfo.Types.DataType.Stream,
                    _ => BindingInfo.Types.DataType.Undefined,
                },
            };
            load.Bindings[(string)binding["name"]!] = info;
        }

        return new LoadedFunction(indexed.Name, functionId, indexed, load, bindings);
    }
}

/// <summary>What the host did with an invocation's result.</summary>
/// <param name="Succeeded">The worker reported success and every xmpp output flushed.</param>
/// <param name="Failure">The worker's exception message or the flush failure.</param>
/// <param name="FlushException">The flush failure, as the JobHost threw it.</param>
/// <param name="OtherOutputs">Outputs for bindings other than xmpp and http, as handed to their extensions.</param>
public sealed record InvocationResult(bool Succeeded, string? Failure, Exception? FlushException, IReadOnlyList<OtherOutput> OtherOutputs);

/// <summary>An output value for a binding the harness does not run (e.g. <c>queue</c>), with the binding's metadata.</summary>
public sealed record OtherOutput(JsonObject Binding, TypedData Value);

public sealed record HttpExchange(HarnessHttpResponse Response, InvocationResponse Invocation, InvocationResult Result);

public enum QueueOutcome
{
    Deleted,
    MovedToPoisonQueue,
}

public sealed record QueueAttempt(int DequeueCount, InvocationResponse Invocation, InvocationResult Result);

public sealed record QueueDelivery(string QueueName, QueueOutcome Outcome, int MaxDequeueCount, IReadOnlyList<QueueAttempt> Attempts)
{
    public string PoisonQueueName => QueueName + "-poison";
}
