using System.Net;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using XmppNotify.FunctionApp.Tests.HostProtocol.Rpc;

namespace XmppNotify.FunctionApp.Tests.HostProtocol;

/// <summary>
/// The host's gRPC server: Kestrel on a free loopback port, HTTP/2 without TLS (as the Functions host listens for its
/// workers), serving <c>FunctionRpc.EventStream</c>. Each worker that connects and sends StartStream becomes a
/// <see cref="WorkerChannel"/>, handed out by <see cref="AcceptAsync"/>.
/// </summary>
public sealed class FunctionRpcEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Broker _broker;

    private FunctionRpcEndpoint(WebApplication app, Broker broker, Uri uri)
    {
        _app = app;
        _broker = broker;
        Uri = uri;
    }

    /// <summary>The address the worker is told to connect to (<c>--functions-uri</c>).</summary>
    public Uri Uri { get; }

    public static async Task<FunctionRpcEndpoint> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc(o =>
        {
            // The host passes --functions-grpc-max-message-length int.MaxValue and accepts as much.
            o.MaxReceiveMessageSize = null;
            o.MaxSendMessageSize = null;
        });
        var broker = new Broker();
        builder.Services.AddSingleton(broker);
        var app = builder.Build();
        app.MapGrpcService<Service>();
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new FunctionRpcEndpoint(app, broker, new Uri(address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal)));
    }

    /// <summary>The channel of the worker with <paramref name="workerId"/>, once it has sent StartStream.</summary>
    public Task<WorkerChannel> AcceptAsync(string workerId, TimeSpan timeout, CancellationToken cancellationToken) =>
        _broker.Expect(workerId).WaitAsync(timeout, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        _broker.Stop();
        await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    internal sealed class Broker
    {
        private readonly Dictionary<string, TaskCompletionSource<WorkerChannel>> _expected = new(StringComparer.Ordinal);
        private readonly CancellationTokenSource _stopping = new();

        public CancellationToken Stopping => _stopping.Token;

        public Task<WorkerChannel> Expect(string workerId)
        {
            lock (_expected)
            {
                if (!_expected.TryGetValue(workerId, out var channel))
                {
                    _expected[workerId] = channel = new TaskCompletionSource<WorkerChannel>(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                return channel.Task;
            }
        }

        public void Connected(WorkerChannel channel)
        {
            lock (_expected)
            {
                if (!_expected.TryGetValue(channel.WorkerId, out var waiting))
                {
                    _expected[channel.WorkerId] = waiting = new TaskCompletionSource<WorkerChannel>(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                waiting.TrySetResult(channel);
            }
        }

        public void Stop() => _stopping.Cancel();
    }

    internal sealed class Service(Broker broker) : FunctionRpc.FunctionRpcBase
    {
        public override async Task EventStream(IAsyncStreamReader<StreamingMessage> requestStream, IServerStreamWriter<StreamingMessage> responseStream, ServerCallContext context)
        {
            using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, broker.Stopping);
            using var first = CancellationTokenSource.CreateLinkedTokenSource(lifetime.Token);
            first.CancelAfter(TimeSpan.FromSeconds(30));

            // The protocol's first message: the worker names itself with the id it was started with.
            if (!await requestStream.MoveNext(first.Token).ConfigureAwait(false)
                || requestStream.Current.ContentCase != StreamingMessage.ContentOneofCase.StartStream)
            {
                throw new Grpc.Core.RpcException(new Status(StatusCode.FailedPrecondition, "The first message on the stream must be StartStream."));
            }

            var channel = new WorkerChannel(requestStream.Current.StartStream.WorkerId, responseStream);
            broker.Connected(channel);
            await channel.ReadAllAsync(requestStream, lifetime.Token).ConfigureAwait(false);
        }
    }
}
