using System.Collections.Concurrent;
using Grpc.Core;
using XmppNotify.FunctionApp.Tests.HostProtocol.Rpc;

namespace XmppNotify.FunctionApp.Tests.HostProtocol;

/// <summary>
/// The host's end of one worker's <c>EventStream</c>: sends requests and pairs each response with its request by the
/// key the protocol gives it (one init and one metadata response per stream, load responses by function id,
/// invocation responses by invocation id). Every wait is bounded; a stream that ends fails every waiting request.
/// </summary>
public sealed class WorkerChannel
{
    private readonly IServerStreamWriter<StreamingMessage> _writer;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<StreamingMessage>> _pending = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal WorkerChannel(string workerId, IServerStreamWriter<StreamingMessage> writer)
    {
        WorkerId = workerId;
        _writer = writer;
    }

    /// <summary>The id the worker announced in StartStream.</summary>
    public string WorkerId { get; }

    /// <summary>Every RpcLog the worker sent, in order: its own logs and the functions' logs.</summary>
    public ConcurrentQueue<RpcLog> Logs { get; } = new();

    /// <summary>Messages the harness did not ask for (neither a response it waits for nor a log).</summary>
    public ConcurrentQueue<StreamingMessage> Unexpected { get; } = new();

    public string LogText => string.Join(Environment.NewLine, Logs.Select(l => $"{l.Level} {l.Category}: {l.Message} {l.Exception?.Message}"));

    /// <summary>Completes when the worker's side of the stream ends.</summary>
    public Task Closed => _closed.Task;

    /// <summary>Sends <paramref name="request"/> and waits for the response with <paramref name="key"/>.</summary>
    public async Task<StreamingMessage> RequestAsync(StreamingMessage request, string key, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var response = new TaskCompletionSource<StreamingMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_pending.TryAdd(key, response))
        {
            throw new InvalidOperationException($"A request with key {key} is already waiting.");
        }

        try
        {
            if (_closed.Task.IsCompleted)
            {
                throw new IOException($"The worker closed its stream before {key}.");
            }

            await SendAsync(request, cancellationToken).ConfigureAwait(false);
            return await response.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"The worker did not answer {key} within {timeout.TotalSeconds:0.#} s.", ex);
        }
        finally
        {
            _pending.TryRemove(key, out _);
        }
    }

    public async Task SendAsync(StreamingMessage message, CancellationToken cancellationToken = default)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _writer.WriteAsync(message, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    internal async Task ReadAllAsync(IAsyncStreamReader<StreamingMessage> reader, CancellationToken cancellationToken)
    {
        try
        {
            while (await reader.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                Dispatch(reader.Current);
            }
        }
        catch (Exception ex) when (ex is Grpc.Core.RpcException or OperationCanceledException or IOException)
        {
            // The worker went away; the waiting requests learn it below.
        }
        finally
        {
            _closed.TrySetResult();
            foreach (var (key, waiting) in _pending)
            {
                waiting.TrySetException(new IOException($"The worker closed its stream while {key} was waiting."));
            }
        }
    }

    private void Dispatch(StreamingMessage message)
    {
        var key = message.ContentCase switch
        {
            StreamingMessage.ContentOneofCase.RpcLog => null,
            StreamingMessage.ContentOneofCase.WorkerInitResponse => Keys.Init,
            StreamingMessage.ContentOneofCase.FunctionMetadataResponse => Keys.Metadata,
            StreamingMessage.ContentOneofCase.FunctionLoadResponse => Keys.Load(message.FunctionLoadResponse.FunctionId),
            StreamingMessage.ContentOneofCase.InvocationResponse => Keys.Invocation(message.InvocationResponse.InvocationId),
            _ => string.Empty,
        };
        if (key is null)
        {
            Logs.Enqueue(message.RpcLog);
        }
        else if (_pending.TryGetValue(key, out var waiting))
        {
            waiting.TrySetResult(message);
        }
        else
        {
            Unexpected.Enqueue(message);
        }
    }

    internal static class Keys
    {
        public const string Init = "WorkerInitRequest";
        public const string Metadata = "FunctionsMetadataRequest";

        public static string Load(string functionId) => "FunctionLoadRequest " + functionId;

        public static string Invocation(string invocationId) => "InvocationRequest " + invocationId;
    }
}
