using System.Diagnostics;

namespace Xmpp.Bench;

/// <summary>
/// Runs one sender process to its exit, its standard input fed and its output drained, timed from start to exit.
/// A run that takes longer than 30 s is killed and reported as timed out, so one stuck sender cannot hold a suite.
/// </summary>
internal static class TimedProcess
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    internal sealed record Result(int ExitCode, TimeSpan Wall, string Stderr, bool TimedOut);

    public static async Task<Result> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string> environment,
        string? stdin,
        string name,
        CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in arguments)
            info.ArgumentList.Add(arg);
        foreach (var (key, value) in environment)
            info.Environment[key] = value;
        var started = Stopwatch.GetTimestamp();
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {name}.");
        if (stdin is not null)
            await process.StandardInput.WriteAsync(stdin.AsMemory(), cancellationToken);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(Limit);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            return new Result(-1, TimeSpan.Zero, $"timed out after {Limit.TotalSeconds:0} s", TimedOut: true);
        }
        var wall = Stopwatch.GetElapsedTime(started);
        await stdout;
        return new Result(process.ExitCode, wall, await stderr, TimedOut: false);
    }
}
