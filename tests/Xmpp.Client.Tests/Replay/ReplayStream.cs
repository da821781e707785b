using System.Text;
using System.Text.RegularExpressions;

namespace Xmpp.Client.Tests.Replay;

public enum ReplayDirection
{
    /// <summary>Text the client must write.</summary>
    Client,

    /// <summary>Text the server sends (returned by reads).</summary>
    Server,

    /// <summary>A read that never completes until its token is cancelled.</summary>
    Stall,

    /// <summary>The server closes the connection: reads return 0.</summary>
    Eof,
}

/// <summary>
/// One step of a transcript. For <see cref="ReplayDirection.Client"/>, <c>{any}</c> in <see cref="Text"/> matches a
/// generated value (id, nonce, base64 payload: anything without '&lt;' or '&gt;'); or give a <see cref="Predicate"/>,
/// which is applied to everything the client has written for this step once a write ends with '&gt;'.
/// </summary>
public sealed record ReplayStep(ReplayDirection Direction, string Text)
{
    public byte[]? Bytes { get; init; }

    public Func<string, bool>? Predicate { get; init; }

    public static ReplayStep C(string text) => new(ReplayDirection.Client, text);

    public static ReplayStep C(Func<string, bool> predicate, string description) =>
        new(ReplayDirection.Client, description) { Predicate = predicate };

    public static ReplayStep S(string text) => new(ReplayDirection.Server, text);

    /// <summary>Raw server bytes, e.g. invalid UTF-8.</summary>
    public static ReplayStep SBytes(byte[] bytes) => new(ReplayDirection.Server, "<bytes>") { Bytes = bytes };

    public static ReplayStep Stall() => new(ReplayDirection.Stall, "");

    public static ReplayStep Eof() => new(ReplayDirection.Eof, "");
}

public sealed class ReplayMismatchException : Exception
{
    public ReplayMismatchException(string message) : base(message) { }
}

/// <summary>
/// A Stream that plays the server side of a recorded XMPP exchange (in the style of MailKit's SmtpReplayStream).
/// Reads return server text in order, in chunks of at most <c>chunkSize</c> bytes to exercise incremental parsing;
/// a read issued while client text is still expected waits (asynchronously) for the client to write it. Writes are
/// compared with the expected client text after collapsing whitespace between tags and treating both quote styles
/// alike; a mismatch throws <see cref="ReplayMismatchException"/> with both texts and the first difference, from the
/// write and from every later read.
/// </summary>
public sealed partial class ReplayStream : Stream
{
    private readonly List<ReplayStep> steps;
    private readonly int chunkSize;
    private readonly object gate = new();
    private readonly StringBuilder pendingClient = new();
    private int index;
    private int offsetInStep;
    private byte[]? currentBytes;
    private ReplayMismatchException? failure;
    private TaskCompletionSource progress = NewSignal();

    public ReplayStream(IEnumerable<ReplayStep> steps, int chunkSize = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkSize);
        this.steps = steps.ToList();
        this.chunkSize = chunkSize;
    }

    /// <summary>Parses a transcript of lines starting with <c>C:</c> or <c>S:</c>; lines without a prefix continue the previous step.</summary>
    public static ReplayStream FromTranscript(string transcript, int chunkSize = int.MaxValue)
    {
        var steps = new List<ReplayStep>();
        foreach (var rawLine in transcript.Split('\n'))
        {
            var line = rawLine.TrimEnd('\r');
            if (line.StartsWith("C:", StringComparison.Ordinal))
            {
                steps.Add(ReplayStep.C(line[2..].Trim()));
            }
            else if (line.StartsWith("S:", StringComparison.Ordinal))
            {
                steps.Add(ReplayStep.S(line[2..].Trim()));
            }
            else if (line.Trim().Length > 0 && steps.Count > 0)
            {
                steps[^1] = steps[^1] with { Text = steps[^1].Text + "\n" + line };
            }
        }

        return new ReplayStream(steps, chunkSize);
    }

    public long ServerBytesDelivered { get; private set; }

    /// <summary>True when every step has been played.</summary>
    public bool IsComplete
    {
        get
        {
            lock (gate)
            {
                return index >= steps.Count || (index == steps.Count - 1 && steps[index].Direction == ReplayDirection.Eof);
            }
        }
    }

    /// <summary>Throws when a mismatch happened or steps remain unplayed.</summary>
    public void AssertComplete()
    {
        lock (gate)
        {
            if (failure is not null)
            {
                throw failure;
            }
        }

        if (!IsComplete)
        {
            lock (gate)
            {
                throw new ReplayMismatchException(
                    $"The transcript stopped at step {index + 1} of {steps.Count} ({steps[index].Direction}: {steps[index].Text}); client text so far: '{pendingClient}'.");
            }
        }
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Task wait;
            lock (gate)
            {
                if (failure is not null)
                {
                    throw failure;
                }

                if (index >= steps.Count)
                {
                    return 0;
                }

                var step = steps[index];
                switch (step.Direction)
                {
                    case ReplayDirection.Eof:
                        return 0;
                    case ReplayDirection.Server:
                        currentBytes ??= step.Bytes ?? Encoding.UTF8.GetBytes(step.Text);
                        var take = Math.Min(Math.Min(buffer.Length, chunkSize), currentBytes.Length - offsetInStep);
                        currentBytes.AsSpan(offsetInStep, take).CopyTo(buffer.Span);
                        offsetInStep += take;
                        ServerBytesDelivered += take;
                        if (offsetInStep == currentBytes.Length)
                        {
                            Advance();
                        }

                        return take;
                    case ReplayDirection.Stall:
                        wait = Task.Delay(Timeout.Infinite, cancellationToken);
                        break;
                    default:
                        // The client has yet to write; a concurrent reader loop waits for it.
                        wait = progress.Task.WaitAsync(cancellationToken);
                        break;
                }
            }

            await wait.ConfigureAwait(false);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer, offset, count);
        return Task.CompletedTask;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        WriteCore(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override void Write(byte[] buffer, int offset, int count) => WriteCore(buffer.AsSpan(offset, count));

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("The replay stream is read asynchronously only, like the network streams it stands for.");

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Collapses whitespace between tags and unifies quotes, so formatting differences do not matter.</summary>
    public static string Normalize(string text) =>
        BetweenTags().Replace(text.Trim(), "><").Replace('"', '\'');

    private void WriteCore(ReadOnlySpan<byte> data)
    {
        lock (gate)
        {
            if (failure is not null)
            {
                throw failure;
            }

            pendingClient.Append(Encoding.UTF8.GetString(data));
            var pending = Normalize(pendingClient.ToString());
            while (pending.Length > 0)
            {
                if (index >= steps.Count || steps[index].Direction != ReplayDirection.Client)
                {
                    throw Fail($"The client wrote '{pending}' but the transcript expects {(index >= steps.Count ? "nothing more" : "the server to speak next (" + steps[index].Direction + ")")} at step {index + 1}.");
                }

                var step = steps[index];
                int consumed;
                if (step.Predicate is not null)
                {
                    if (!pending.EndsWith('>'))
                    {
                        break;
                    }

                    if (!step.Predicate(pending))
                    {
                        throw Fail($"Step {index + 1} (client): '{pending}' does not satisfy: {step.Text}");
                    }

                    consumed = pending.Length;
                }
                else
                {
                    consumed = Match(Normalize(step.Text), pending, out var mismatchAt);
                    if (consumed < 0)
                    {
                        throw Fail(Diff(index + 1, Normalize(step.Text), pending, mismatchAt));
                    }

                    if (consumed == 0)
                    {
                        break; // a prefix so far; wait for more writes
                    }
                }

                pending = pending[consumed..].TrimStart();
                Advance();
            }

            pendingClient.Clear().Append(pending);
        }
    }

    private void Advance()
    {
        index++;
        offsetInStep = 0;
        currentBytes = null;
        var done = progress;
        progress = NewSignal();
        done.TrySetResult();
    }

    private ReplayMismatchException Fail(string message)
    {
        failure = new ReplayMismatchException(message);
        progress.TrySetResult();
        return failure;
    }

    /// <summary>
    /// Matches <paramref name="actual"/> against the expected text with <c>{any}</c> placeholders.
    /// Returns the number of characters consumed for a full match, 0 while <paramref name="actual"/> is still a
    /// possible prefix, and -1 on a mismatch (with the position in <paramref name="mismatchAt"/>).
    /// </summary>
    private static int Match(string expected, string actual, out int mismatchAt)
    {
        var parts = expected.Split("{any}");
        var pos = 0;
        mismatchAt = 0;
        for (var i = 0; i < parts.Length; i++)
        {
            var literal = parts[i];
            if (i > 0)
            {
                // Placeholder: the shortest run without tag characters followed by the next literal.
                var rest = actual.AsSpan(pos);
                var tag = rest.IndexOfAny('<', '>');
                var found = literal.Length == 0 ? (tag < 0 ? rest.Length : tag) : rest.IndexOf(literal, StringComparison.Ordinal);
                if (found < 0 || (tag >= 0 && found > tag))
                {
                    if (tag < 0)
                    {
                        return 0;
                    }

                    // Tag characters cannot belong to the placeholder: what follows must be the start of the literal.
                    var tail = rest[tag..];
                    var isPrefix = tail.Length < literal.Length && literal.AsSpan().StartsWith(tail);
                    if (!isPrefix)
                    {
                        mismatchAt = pos + tag;
                        return -1;
                    }

                    return 0;
                }

                pos += found;
                if (literal.Length == 0)
                {
                    continue;
                }
            }

            var available = Math.Min(literal.Length, actual.Length - pos);
            for (var k = 0; k < available; k++)
            {
                if (literal[k] != actual[pos + k])
                {
                    mismatchAt = pos + k;
                    return -1;
                }
            }

            if (available < literal.Length)
            {
                return 0;
            }

            pos += literal.Length;
        }

        return pos;
    }

    private static string Diff(int stepNumber, string expected, string actual, int at)
    {
        var from = Math.Max(0, at - 20);
        return $"""
            Step {stepNumber} (client) does not match the transcript; first difference at character {at}.
              expected: {expected}
              actual:   {actual}
              near:     ...{actual[from..Math.Min(actual.Length, at + 20)]}...
            """;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [GeneratedRegex(@">\s+<")]
    private static partial Regex BetweenTags();
}
