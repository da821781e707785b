using System.Globalization;
using System.Text.Json;
using System.Text;
using Xmpp.Client;

namespace Xmpp.TestServers;

/// <summary>A message as seen by the independent slixmpp receiver.</summary>
public sealed record PeerMessage(
    string From,
    string To,
    string Type,
    string? Id,
    string? Subject,
    string? Body,
    string? Html,
    bool Delayed)
{
    /// <summary>The whole stanza as slixmpp serialized it.</summary>
    public string? Stanza { get; init; }
}

public sealed class SlixmppPeerOptions
{
    public required string Jid { get; init; }

    public required string Password { get; init; }

    public required string Host { get; init; }

    public required int Port { get; init; }

    /// <summary>CA to trust (host name checked against the JID domain); null skips verification.</summary>
    public string? CaPemPath { get; init; }

    /// <summary>Connect with direct TLS (XEP-0368) instead of STARTTLS.</summary>
    public bool DirectTls { get; init; }

    public IReadOnlyList<string> Rooms { get; init; } = [];

    public string? Nick { get; init; }

    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Answer XEP-0184 receipt requests (slixmpp's xep_0184 plugin); off, the peer never confirms.</summary>
    public bool Receipts { get; init; }

    /// <summary>JIDs to ask for a presence subscription once logged in.</summary>
    public IReadOnlyList<string> Subscribe { get; init; } = [];
}

/// <summary>
/// An independent XMPP receiver (python3-slixmpp, peers/slixmpp_listen.py) so tests prove delivery with a
/// second implementation rather than with the client under test.
/// </summary>
public sealed class SlixmppPeer : IAsyncDisposable
{
    private readonly List<PeerMessage> received = [];
    private readonly TaskCompletionSource ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly StringBuilder events = new();
    private readonly List<JsonElement> eventList = [];
    private TaskCompletionSource arrival = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private GuardedProcess? process;

    private SlixmppPeer(string jid) => Jid = jid;

    public string Jid { get; }

    /// <summary>The full JID the peer bound, once ready.</summary>
    public string? BoundJid { get; private set; }

    public IReadOnlyList<PeerMessage> Received
    {
        get
        {
            lock (received)
            {
                return received.ToArray();
            }
        }
    }

    public static string PythonPath => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    public static Task<SlixmppPeer> StartAsync(
        string jid,
        string password,
        string host,
        int port,
        string? caPemPath,
        IEnumerable<string>? rooms = null,
        string? nick = null,
        CancellationToken ct = default) =>
        StartAsync(
            new SlixmppPeerOptions
            {
                Jid = jid,
                Password = password,
                Host = host,
                Port = port,
                CaPemPath = caPemPath,
                Rooms = rooms?.ToArray() ?? [],
                Nick = nick,
            },
            ct);

    public static async Task<SlixmppPeer> StartAsync(SlixmppPeerOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var arguments = new List<string>
        {
            ConfigTemplate.AssetPath(Path.Combine("peers", "slixmpp_listen.py")),
            "--jid", options.Jid,
            "--host", options.Host,
            "--port", options.Port.ToString(CultureInfo.InvariantCulture),
        };
        if (options.CaPemPath is not null)
        {
            arguments.AddRange(["--ca", options.CaPemPath]);
        }

        if (options.DirectTls)
        {
            arguments.Add("--direct-tls");
        }

        foreach (var room in options.Rooms)
        {
            arguments.AddRange(["--room", room]);
        }

        if (options.Receipts)
        {
            arguments.Add("--receipts");
        }

        foreach (var contact in options.Subscribe)
        {
            arguments.AddRange(["--subscribe", contact]);
        }

        if (options.Nick is not null)
        {
            arguments.AddRange(["--nick", options.Nick]);
        }

        if (Environment.GetEnvironmentVariable("XMPP_TEST_SERVER_DEBUG") == "1")
        {
            arguments.Add("--debug");
        }

        var peer = new SlixmppPeer(options.Jid);
        peer.process = GuardedProcess.Start(
            PythonPath,
            arguments,
            Path.GetTempPath(),
            new Dictionary<string, string> { ["SLIXMPP_PEER_PASSWORD"] = options.Password, ["PYTHONUNBUFFERED"] = "1" },
            peer.OnLine);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.ReadyTimeout);
            var exited = peer.process.WaitForExitAsync(options.ReadyTimeout, timeout.Token);
            var first = await Task.WhenAny(peer.ready.Task, exited, Task.Delay(Timeout.Infinite, timeout.Token)).ConfigureAwait(false);
            if (first != peer.ready.Task)
            {
                ct.ThrowIfCancellationRequested();
                throw new InvalidOperationException(
                    $"slixmpp peer {options.Jid} was not ready within {options.ReadyTimeout.TotalSeconds} s (exited: {peer.process.HasExited}).\n" +
                    $"Events: {peer.EventsText}\nStderr: {peer.process.StandardErrorTail}");
            }

            return peer;
        }
        catch
        {
            await peer.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Waits for the first received message (already received ones included) that satisfies <paramref name="match"/>.</summary>
    public Task<PeerMessage> WaitForMessageAsync(Func<PeerMessage, bool> match, TimeSpan timeout, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(match);
        return WaitForAsync(
            () => received.FirstOrDefault(match),
            timeout,
            () => $"{Jid} received no matching message within {timeout.TotalSeconds} s. Received {Received.Count}:\n" +
                string.Join('\n', Received.Select(m => JsonSerializer.Serialize(m))),
            ct);
    }

    /// <summary>Waits for an event line (<c>{"event": …}</c>) that satisfies <paramref name="match"/>, e.g. a subscription answer.</summary>
    public async Task<JsonElement> WaitForEventAsync(Func<JsonElement, bool> match, TimeSpan timeout, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(match);
        var found = await WaitForAsync(
            () => eventList.Where(match).Select(e => (JsonElement?)e).FirstOrDefault(),
            timeout,
            () => $"{Jid} saw no matching event within {timeout.TotalSeconds} s.",
            ct).ConfigureAwait(false);
        return found!.Value;
    }

    /// <summary>Polls <paramref name="find"/> (under the lock) on every new line until it returns something or the time is up.</summary>
    private async Task<T> WaitForAsync<T>(Func<T?> find, TimeSpan timeout, Func<string> describe, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        while (true)
        {
            Task next;
            lock (received)
            {
                if (find() is { } found)
                {
                    return found;
                }

                next = arrival.Task;
            }

            try
            {
                await next.WaitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"{describe()}\nEvents: {EventsText}\nStderr: {process?.StandardErrorTail}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (process is { } running)
        {
            process = null;
            await running.DisposeAsync().ConfigureAwait(false);
        }
    }

    private string EventsText
    {
        get
        {
            lock (events)
            {
                return events.ToString();
            }
        }
    }

    private void OnLine(string line)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(line);
            root = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            lock (events)
            {
                events.AppendLine(line);
            }

            return;
        }

        if (root.TryGetProperty("event", out var kind))
        {
            lock (events)
            {
                events.AppendLine(line);
            }

            TaskCompletionSource eventSignal;
            lock (received)
            {
                eventList.Add(root);
                eventSignal = arrival;
                arrival = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            eventSignal.TrySetResult();
            if (kind.GetString() == "ready")
            {
                BoundJid = root.TryGetProperty("jid", out var jid) ? jid.GetString() : null;
                ready.TrySetResult();
            }

            return;
        }

        var message = new PeerMessage(
            Text(root, "from") ?? string.Empty,
            Text(root, "to") ?? string.Empty,
            Text(root, "type") ?? "normal",
            Text(root, "id"),
            Text(root, "subject"),
            Text(root, "body"),
            Text(root, "html"),
            root.TryGetProperty("delayed", out var delayed) && delayed.ValueKind == JsonValueKind.True)
        {
            Stanza = Text(root, "stanza"),
        };
        TaskCompletionSource signal;
        lock (received)
        {
            received.Add(message);
            signal = arrival;
            arrival = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        signal.TrySetResult();
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
