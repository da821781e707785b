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
}
