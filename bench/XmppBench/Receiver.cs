using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Xmpp.Client;

namespace Xmpp.Bench;

/// <summary>What a receiver process needs to log in; sent on its stdin, so the password is never on a command line.</summary>
internal sealed record ReceiverSettings(string Jid, string Password, string Host, int Port, string CaPemPath, string BodyPrefix);

/// <summary>
/// A receiving session in a separate process: it counts arriving messages whose body starts with a prefix, so that
/// delivery is checked by an independent session and its work (parsing 10,000 stanzas) does not pollute the
/// sender's allocation and working-set figures.
/// Protocol on stdin/stdout: the parent writes the settings as one JSON line; the child answers <c>ready</c>;
/// <c>wait N MS</c> answers <c>count C</c> once C ≥ N or MS elapsed; <c>quit</c> closes the session.
/// </summary>
internal sealed class ReceiverProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ReceiverProcess(Process process) => _process = process;

    public static async Task<ReceiverProcess> StartAsync(ReceiverSettings settings, CancellationToken cancellationToken)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot find the benchmark executable.");
        var info = new ProcessStartInfo(self)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        // Run as `dotnet XmppBench.dll` or as the apphost: either way the same entry point.
        if (Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.Ordinal))
            info.ArgumentList.Add(typeof(ReceiverProcess).Assembly.Location);
        info.ArgumentList.Add(Program.ReceiverMode);
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the receiver process.");
        var receiver = new ReceiverProcess(process);
        try
        {
            await process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(settings, ReceiverJson.Default.ReceiverSettings).AsMemory(), cancellationToken);
            await process.StandardInput.FlushAsync(cancellationToken);
            var line = await receiver.ReadLineAsync(TimeSpan.FromSeconds(30), cancellationToken);
            if (line != "ready")
                throw new InvalidOperationException("The receiver did not start: " + line);
            return receiver;
        }
        catch
        {
            await receiver.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until at least <paramref name="target"/> messages arrived, or the timeout; returns the count.</summary>
    public async Task<int> WaitForCountAsync(int target, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await _process.StandardInput.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"wait {target} {(long)timeout.TotalMilliseconds}").AsMemory(), cancellationToken);
        await _process.StandardInput.FlushAsync(cancellationToken);
        var line = await ReadLineAsync(timeout + TimeSpan.FromSeconds(10), cancellationToken);
        if (line is null || !line.StartsWith("count ", StringComparison.Ordinal))
            throw new InvalidOperationException("The receiver answered: " + line);
        return int.Parse(line.AsSpan(6), CultureInfo.InvariantCulture);
    }

    private async Task<string?> ReadLineAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        return await _process.StandardOutput.ReadLineAsync(limit.Token);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                await _process.StandardInput.WriteLineAsync("quit");
                await _process.StandardInput.FlushAsync();
                using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                await _process.WaitForExitAsync(limit.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            _process.Kill(entireProcessTree: true);
        }
        finally
        {
            _process.Dispose();
        }
    }

    /// <summary>The child side: runs until <c>quit</c> or the end of stdin.</summary>
    public static async Task<int> RunChildAsync()
    {
        var first = await Console.In.ReadLineAsync();
        var settings = JsonSerializer.Deserialize(first ?? "null", ReceiverJson.Default.ReceiverSettings)
            ?? throw new InvalidOperationException("No receiver settings on stdin.");
        var ca = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(settings.CaPemPath));
        var options = new XmppClientOptions(Xmpp.Client.Jid.Parse(settings.Jid), settings.Password)
        {
            ConnectHost = settings.Host,
            Port = settings.Port,
            TrustedRoots = [ca],
            ResponseTimeout = TimeSpan.FromSeconds(30),
            // One receiver counts every message of the whole benchmark run; none may be dropped or refused.
            MaxReceivedMessages = 1_000_000,
            MaxInboundStanzas = long.MaxValue,
            MaxInboundBytes = long.MaxValue,
        };
        await using var client = new XmppClient(options);
        await client.LoginAsync();
        await client.SendPresenceAsync();
        // The server has handled the presence once the ping comes back, so nothing sent after "ready" is missed.
        await client.PingAsync();

        var counter = new ArrivalCounter();
        var reading = Task.Run(async () =>
        {
            await foreach (var message in client.Messages.ReadAllAsync())
            {
                if (message.Body is { } body && body.StartsWith(settings.BodyPrefix, StringComparison.Ordinal))
                    counter.Increment();
            }
        });
        Console.Out.WriteLine("ready");
        Console.Out.Flush();

        while (await Console.In.ReadLineAsync() is { } command)
        {
            if (command == "quit")
                break;
            var parts = command.Split(' ');
            if (parts is ["wait", var target, var milliseconds])
            {
                var count = await counter.WaitAsync(int.Parse(target, CultureInfo.InvariantCulture),
                    TimeSpan.FromMilliseconds(long.Parse(milliseconds, CultureInfo.InvariantCulture)));
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"count {count}"));
                Console.Out.Flush();
            }
        }
        using var closing = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await client.DisconnectAsync(closing.Token);
        await reading.WaitAsync(TimeSpan.FromSeconds(10));
        return 0;
    }

    /// <summary>A count with waiters: each arrival completes the current signal and starts a new one.</summary>
    private sealed class ArrivalCounter
    {
        private readonly object _gate = new();
        private int _count;
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Increment()
        {
            TaskCompletionSource changed;
            lock (_gate)
            {
                _count++;
                changed = _changed;
                _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            changed.TrySetResult();
        }

        public async Task<int> WaitAsync(int target, TimeSpan timeout)
        {
            var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
            while (true)
            {
                Task changed;
                lock (_gate)
                {
                    if (_count >= target)
                        return _count;
                    changed = _changed.Task;
                }
                var left = deadline - Stopwatch.GetTimestamp();
                if (left <= 0)
                    break;
                try
                {
                    await changed.WaitAsync(TimeSpan.FromSeconds((double)left / Stopwatch.Frequency));
                }
                catch (TimeoutException)
                {
                    break;
                }
            }
            lock (_gate)
                return _count;
        }
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(ReceiverSettings))]
internal sealed partial class ReceiverJson : System.Text.Json.Serialization.JsonSerializerContext;
