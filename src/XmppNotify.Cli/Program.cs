namespace XmppNotify.Cli;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        CertificateDirectory.SkipWhenBundleHasItAll();
        using var interrupted = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // Let the delivery wind down (and say what was not acknowledged) instead of dying mid-stanza.
            e.Cancel = true;
            interrupted.Cancel();
        };
        var command = new NotifyCommand(Console.Out, Console.Error, Console.OpenStandardInput, Console.IsInputRedirected, Environment.GetEnvironmentVariable);
        try
        {
            return await command.RunAsync(args, interrupted.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (interrupted.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("xmpp-notify: interrupted").ConfigureAwait(false);
            return NotifyCommand.Interrupted;
        }
    }
}
