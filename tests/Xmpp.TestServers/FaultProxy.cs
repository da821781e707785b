using System.Net;
using System.Net.Sockets;

namespace Xmpp.TestServers;

/// <summary>What a <see cref="FaultProxy"/> does to one connection once the client has written a large record.</summary>
public enum ProxyFault
{
    /// <summary>Forwards everything.</summary>
    None,

    /// <summary>Forwards the large record to the server, drops everything the server answers, and closes both sides: the message went out, its acknowledgement never comes back.</summary>
    CutAfterMessage,

    /// <summary>Forwards the large record, then forwards nothing more in either direction while keeping both connections open.</summary>
    StallAfterMessage,
}

/// <summary>
/// A loopback TCP proxy in front of a server that injects faults per connection. TLS hides the stanzas, so the proxy
/// recognises "the message" by size: a single client read of at least <see cref="TriggerBytes"/> (give the test message
/// a body larger than that; logins, SCRAM and stream headers are far smaller).
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly Func<int, ProxyFault> _schedule;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private readonly Task _accepting;
    private int _accepted;
    private int _cuts;
    private int _stalls;

    private FaultProxy(string targetHost, int targetPort, Func<int, ProxyFault> schedule, int triggerBytes)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;
        _schedule = schedule;
        TriggerBytes = triggerBytes;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start(512);
        _accepting = AcceptLoopAsync();
    }

    /// <summary>Starts a proxy to <paramref name="targetHost"/>:<paramref name="targetPort"/>; <paramref name="schedule"/> picks the fault of the n-th connection (from 0).</summary>
    public static FaultProxy Start(string targetHost, int targetPort, Func<int, ProxyFault> schedule, int triggerBytes = 2048) =>
        new(targetHost, targetPort, schedule, triggerBytes);

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int TriggerBytes { get; }

    public int Connections => Volatile.Read(ref _accepted);

    /// <summary>Connections cut after a large record went to the server.</summary>
    public int Cuts => Volatile.Read(ref _cuts);

    /// <summary>Connections stalled after a large record went to the server.</summary>
    public int Stalls => Volatile.Read(ref _stalls);

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            var fault = _schedule(Interlocked.Increment(ref _accepted) - 1);
            lock (_connections)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(Task.Run(() => RelayAsync(client, fault)));
            }
        }
    }

    private async Task RelayAsync(TcpClient client, ProxyFault fault)
    {
        using var _ = client;
        using var server = new TcpClient();
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        try
        {
            client.NoDelay = true;
            server.NoDelay = true;
            await server.ConnectAsync(_targetHost, _targetPort, connection.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
        {
            // The server is down: the client sees the connection close, as it would without the proxy.
            return;
        }
        var state = new ConnectionState();
        var toServer = ClientToServerAsync(client.GetStream(), server.GetStream(), fault, state, connection);
        var toClient = ServerToClientAsync(server.GetStream(), client.GetStream(), state, connection.Token);
        try
        {
            // Either side closing ends the relay; a stalled connection ends when the client gives up.
            await Task.WhenAny(toServer, toClient).ConfigureAwait(false);
        }
        finally
        {
            await connection.CancelAsync().ConfigureAwait(false);
            client.Client.LingerState = new LingerOption(true, 0);
            client.Close();
            server.Close();
        }
    }

    private async Task ClientToServerAsync(NetworkStream from, NetworkStream to, ProxyFault fault, ConnectionState state, CancellationTokenSource connection)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, connection.Token).ConfigureAwait(false)) > 0)
            {
                if (state.Blocked)
                    continue; // stalled: swallow, never close
                if (fault != ProxyFault.None && read >= TriggerBytes)
                {
                    // From here on nothing from the server reaches the client; the triggering record itself still goes out.
                    state.Blocked = true;
                    await to.WriteAsync(buffer.AsMemory(0, read), connection.Token).ConfigureAwait(false);
                    if (fault == ProxyFault.CutAfterMessage)
                    {
                        Interlocked.Increment(ref _cuts);
                        // Long enough for the server to route the message, far shorter than any acknowledgement timeout.
                        await Task.Delay(100, connection.Token).ConfigureAwait(false);
                        return;
                    }
                    Interlocked.Increment(ref _stalls);
                    continue;
                }
                await to.WriteAsync(buffer.AsMemory(0, read), connection.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
    }

    private static async Task ServerToClientAsync(NetworkStream from, NetworkStream to, ConnectionState state, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (!state.Blocked)
                    await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
    }

    private sealed class ConnectionState
    {
        private volatile bool _blocked;

        public bool Blocked
        {
            get => _blocked;
            set => _blocked = value;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        await _accepting.ConfigureAwait(false);
        Task[] running;
        lock (_connections)
            running = [.. _connections];
        await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        _stop.Dispose();
    }
}
