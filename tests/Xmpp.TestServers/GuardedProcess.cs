using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace Xmpp.TestServers;

/// <summary>
/// A server or peer process that cannot outlive the test process: it runs under process-guard.sh in its own
/// session (stdin EOF kills the group, even after a SIGKILL of the test host), and a ProcessExit handler kills
/// the process tree of whatever is still running on a normal exit.
/// </summary>
internal sealed class GuardedProcess : IAsyncDisposable
{
    private const int OutputTailLimit = 64 * 1024;
    private static readonly ConcurrentDictionary<int, Process> Live = new();

    private readonly Process process;
    private readonly StringBuilder stdout = new();
    private readonly StringBuilder stderr = new();
    private readonly Action<string>? onStdoutLine;

    static GuardedProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
    }

    private GuardedProcess(Process process, Action<string>? onStdoutLine)
    {
        this.process = process;
        this.onStdoutLine = onStdoutLine;
    }

    public int Id => process.Id;

    public bool HasExited => process.HasExited;

    public int ExitCode => process.ExitCode;

    public string StandardOutputTail { get { lock (stdout) { return stdout.ToString(); } } }

    public string StandardErrorTail { get { lock (stderr) { return stderr.ToString(); } } }

    public static GuardedProcess Start(
        string fileName,
        IEnumerable<string> arguments,
        string workingDirectory,
        IReadOnlyDictionary<string, string>? environment = null,
        Action<string>? onStdoutLine = null)
    {
        var info = new ProcessStartInfo
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        var guard = ConfigTemplate.AssetPath("process-guard.sh");
        var setsid = File.Exists("/usr/bin/setsid") ? "/usr/bin/setsid" : null;
        if (setsid is not null)
        {
            info.FileName = setsid;
            info.ArgumentList.Add("/bin/sh");
        }
        else
        {
            info.FileName = "/bin/sh";
        }

        info.ArgumentList.Add(guard);
        info.ArgumentList.Add(fileName);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                info.Environment[key] = value;
            }
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var guarded = new GuardedProcess(process, onStdoutLine);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            Append(guarded.stdout, e.Data);
            guarded.onStdoutLine?.Invoke(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Append(guarded.stderr, e.Data);
            }
        };
        process.Start();
        Live[process.Id] = process;
        process.Exited += (_, _) => Live.TryRemove(process.Id, out _);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return guarded;
    }

    /// <summary>Waits for the process to exit; false on timeout.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Closes the guard's stdin: the guard sends SIGTERM to the whole group, which lets servers shut down cleanly.</summary>
    public void Terminate()
    {
        try
        {
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // Already gone.
        }
    }

    public void Kill()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
    }

    public async ValueTask DisposeAsync()
    {
        Terminate();
        if (!await WaitForExitAsync(TimeSpan.FromSeconds(3)).ConfigureAwait(false))
        {
            Kill();
            await WaitForExitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }

        Live.TryRemove(process.Id, out _);
        process.Dispose();
    }

    private static void Append(StringBuilder buffer, string line)
    {
        lock (buffer)
        {
            buffer.AppendLine(line);
            if (buffer.Length > OutputTailLimit)
            {
                buffer.Remove(0, buffer.Length - OutputTailLimit);
            }
        }
    }

    private static void KillAll()
    {
        foreach (var process in Live.Values)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Exited meanwhile.
            }
        }
    }
}
