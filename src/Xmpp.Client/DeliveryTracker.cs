namespace Xmpp.Client;

internal sealed record SentMessage(string Id, Jid To, bool ToRoom);

/// <summary>
/// Which sent messages the server has acknowledged (XEP-0198 counters, or ping round trips), which rooms reflected,
/// and which bounced. All members are thread-safe: the read loop and senders run concurrently.
/// </summary>
internal sealed class DeliveryTracker
{
    private readonly object _gate = new();
    private readonly List<Entry> _entries = [];
    private readonly Dictionary<string, Entry> _byId = new(StringComparer.Ordinal);
    private readonly List<(uint Target, TaskCompletionSource Done)> _ackWaiters = [];
    private TaskCompletionSource? _reflectionWaiter;
    private uint _sent;
    private uint _acked;
    private uint _inbound;

    public bool SmEnabled { get; private set; }

    public uint SentCount
    {
        get
        {
            lock (_gate)
                return _sent;
        }
    }

    public uint InboundCount
    {
        get
        {
            lock (_gate)
                return _inbound;
        }
    }

    public void EnableStreamManagement()
    {
        lock (_gate)
        {
            SmEnabled = true;
            _sent = 0;
            _acked = 0;
            _inbound = 0;
        }
    }

    public void OnStanzaSent(SentMessage? message)
    {
        lock (_gate)
        {
            _sent++;
            if (message is null)
                return;
            var entry = new Entry(message, _sent);
            _entries.Add(entry);
            _byId[message.Id] = entry;
        }
    }

    public void OnStanzaReceived()
    {
        lock (_gate)
            _inbound++;
    }

    public void OnAck(uint h) => AcknowledgeUpTo(h);

    public void AcknowledgeUpTo(uint sequence)
    {
        List<TaskCompletionSource> done = [];
        lock (_gate)
        {
            sequence = Math.Min(sequence, _sent); // a server acknowledging more than was sent is wrong; never credit unsent stanzas
            // Stryker disable once Equality : "sequence < _acked" is equivalent (an ack equal to the last marks nothing new, and every waiter left has a higher target); "sequence > _acked" is killed by the ack tests
            if (sequence <= _acked)
                return;
            _acked = sequence;
            foreach (var entry in _entries)
            {
                if (entry.Sequence <= sequence)
                    entry.Acknowledged = true;
            }
            _ackWaiters.RemoveAll(w =>
            {
                if (w.Target > sequence)
                    return false;
                done.Add(w.Done);
                // Stryker disable once Boolean : a completed waiter left in the list is only completed again (TrySetResult is a no-op)
                return true;
            });
        }
        foreach (var waiter in done)
            waiter.TrySetResult();
    }

    /// <summary>A task that completes when everything sent so far is acknowledged.</summary>
    public (uint Target, Task Acknowledged) AckWaiter()
    {
        lock (_gate)
        {
            if (_acked >= _sent)
                return (_sent, Task.CompletedTask);
            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _ackWaiters.Add((_sent, waiter));
            return (_sent, waiter.Task);
        }
    }

    public void OnBounce(string id, Jid? from, StanzaError error)
    {
        lock (_gate)
        {
            if (_byId.TryGetValue(id, out var entry))
                entry.Bounce = new MessageBounce(id, from ?? entry.Message.To, error);
            CheckReflections();
        }
    }

    public void OnReflected(string id)
    {
        lock (_gate)
        {
            if (_byId.TryGetValue(id, out var entry))
                entry.Reflected = true;
            CheckReflections();
        }
    }

    /// <summary>A task that completes when every room message was reflected or bounced.</summary>
    public Task ReflectionsPending()
    {
        lock (_gate)
        {
            if (AllReflected())
                return Task.CompletedTask;
            _reflectionWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _reflectionWaiter.Task;
        }
    }

    private void CheckReflections()
    {
        if (_reflectionWaiter is not null && AllReflected())
        {
            _reflectionWaiter.TrySetResult();
            _reflectionWaiter = null;
        }
    }

    private bool AllReflected() => _entries.All(e => !e.Message.ToRoom || e.Reflected || e.Bounce is not null);

    public DeliveryReport Report()
    {
        lock (_gate)
        {
            var acknowledged = new List<string>();
            var bounced = new List<MessageBounce>();
            var unacknowledged = new List<string>();
            foreach (var entry in _entries)
            {
                if (entry.Bounce is { } bounce)
                    bounced.Add(bounce);
                else if (entry.Acknowledged && (!entry.Message.ToRoom || entry.Reflected))
                    acknowledged.Add(entry.Message.Id);
                else
                    unacknowledged.Add(entry.Message.Id);
            }
            return new DeliveryReport(acknowledged, bounced, unacknowledged);
        }
    }

    private sealed class Entry(SentMessage message, uint sequence)
    {
        public SentMessage Message { get; } = message;

        public uint Sequence { get; } = sequence;

        public bool Acknowledged { get; set; }

        public bool Reflected { get; set; }

        public MessageBounce? Bounce { get; set; }
    }
}
