namespace Xmpp.Client;

/// <summary>Bounds a single wait and turns the expiry into an <see cref="XmppTimeoutException"/> that says what was awaited.</summary>
internal static class Timeouts
{
    public static async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> operation, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            return await operation(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new XmppTimeoutException(what, timeout, e);
        }
    }

    public static Task RunAsync(Func<CancellationToken, Task> operation, TimeSpan timeout, string what, CancellationToken cancellationToken) =>
        RunAsync(async ct =>
        {
            await operation(ct).ConfigureAwait(false);
            return true;
        }, timeout, what, cancellationToken);

    /// <summary>
    /// <see cref="RunAsync{T}"/> for reads and writes on an established stream: there a reset (a server restarting, a cut
    /// connection) is a lost connection like any other, reported as <see cref="XmppProtocolException"/> (connection-closed)
    /// rather than escaping as a raw I/O exception. Connecting keeps its own handling of socket errors.
    /// </summary>
    public static async Task<T> RunOnStreamAsync<T>(Func<CancellationToken, Task<T>> operation, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await RunAsync(operation, timeout, what, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            throw new XmppProtocolException($"The connection was lost while the client waited for {what}: {e.Message}", "connection-closed", e);
        }
    }

    public static Task RunOnStreamAsync(Func<CancellationToken, Task> operation, TimeSpan timeout, string what, CancellationToken cancellationToken) =>
        RunOnStreamAsync(async ct =>
        {
            await operation(ct).ConfigureAwait(false);
            return true;
        }, timeout, what, cancellationToken);
}
