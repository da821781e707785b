using System.Text;
using Xmpp.Client.Tests.Replay;
using Xmpp.Client.Xml;

namespace Xmpp.Client.Tests.Xml;

internal static class XmlTestData
{
    public const string Declaration = "<?xml version='1.0'?>";

    public const string Header =
        "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s-42' from='example.com' version='1.0' xml:lang='en'>";

    public const string Features =
        "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism></mechanisms></stream:features>";

    public const int DefaultMax = 64 * 1024;

    /// <summary>Every test waits with a deadline so a hang fails instead of stalling the run.</summary>
    public static CancellationToken Deadline() => new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token;

    public static XmlStreamReader Server(params string[] serverText) => Server(serverText, int.MaxValue);

    /// <summary>A reader over server text that stalls (rather than ends) after the last step.</summary>
    public static XmlStreamReader Server(IEnumerable<string> serverText, int chunkSize, int maxBytes = DefaultMax)
    {
        var steps = serverText.Select(ReplayStep.S).Append(ReplayStep.Stall());
        return new XmlStreamReader(new ReplayStream(steps, chunkSize), maxBytes);
    }

    public static XmlStreamReader ServerSteps(int maxBytes, params ReplayStep[] steps) =>
        new(new ReplayStream(steps), maxBytes);

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}

/// <summary>
/// Produces a stream header followed by one endless element (up to <c>totalBytes</c>) without holding it in memory,
/// and records how much was read.
/// </summary>
internal sealed class FloodStream : Stream
{
    private readonly byte[] prefix;
    private readonly long totalBytes;
    private readonly byte filler;
    private long position;

    public FloodStream(string prefix, long totalBytes, byte filler = (byte)'a')
    {
        this.filler = filler;
        this.prefix = Encoding.UTF8.GetBytes(prefix);
        this.totalBytes = totalBytes;
    }

    public long BytesServed => position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => totalBytes;

    public override long Position
    {
        get => position;
        set => throw new NotSupportedException();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var span = buffer.Span;
        var n = 0;
        while (n < span.Length && position < totalBytes)
        {
            span[n++] = position < prefix.Length ? prefix[position] : filler;
            position++;
        }

        return ValueTask.FromResult(n);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
