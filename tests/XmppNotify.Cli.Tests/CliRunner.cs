using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace XmppNotify.Cli.Tests;

public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public string AllOutput => Stdout + "\n" + Stderr;

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>
/// Runs xmpp-notify as a real process: the build output (<c>dotnet xmpp-notify.dll</c>), or the executable named by
/// XMPP_NOTIFY_EXE (e.g. the NativeAOT binary from <c>dotnet publish</c>), so the same tests cover the shipped build.
/// </summary>
public static class CliRunner
{
    public static string CliPath =>
        Environment.GetEnvironmentVariable("XMPP_NOTIFY_EXE") is { Length: > 0 } exe
            ? exe
            : typeof(CliRunner).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "XmppNotifyPath").Value!;

    public static async Task<CliResult> RunAsync(
        IEnumerable<string> args,
        string? stdin = null,
        IReadOnlyDictionary<string, string?>? environment = null,
        TimeSpan? timeout = null)
    {
        var path = CliPath;
        Assert.True(File.Exists(path), $"xmpp-notify not found at {path}");
        var start = new ProcessStartInfo
        {
            FileName = path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? "dotnet" : path,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        if (start.FileName == "dotnet")
            start.ArgumentList.Add(path);
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        // Whatever the machine has must not leak into a test: URLs come only from what the test passes.
        start.Environment.Remove("XMPP_URLS");
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
                start.Environment.Remove(name);
            else
                start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start xmpp-notify");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            var utf8 = new StreamWriter(process.StandardInput.BaseStream, new UTF8Encoding(false));
            await utf8.WriteAsync(stdin);
            await utf8.FlushAsync();
        }
        process.StandardInput.Close();

        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"xmpp-notify did not exit within {(timeout ?? TimeSpan.FromSeconds(60)).TotalSeconds} s");
        }
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }
}
