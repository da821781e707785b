namespace Xmpp.Client.Xml;

/// <summary>
/// Sits between <see cref="System.Xml.XmlReader"/> and the network stream. XmlReader has no CancellationToken
/// and no size limit, so this wrapper supplies both: every read uses the token of the call in progress, and
/// the bytes handed to the parser per top-level element are capped, which bounds memory no matter what the peer sends.
/// </summary>
/// <remarks>
/// The cap is counted at the byte-stream level, not by the parser: bytes that XmlReader already buffered when the
/// previous element completed are not counted against the next one (at most one parser buffer: XmlReader asks for up to
/// 32 KB per read), and
/// whitespace keepalives between elements are not counted at all. Reads are clamped to the remaining budget, so an
/// element up to the cap is never rejected and the parser never holds more than the cap plus its own buffer.
/// </remarks>
internal sealed class ReadBudgetStream : Stream
{
    private const int PrologCaptureBytes = 2048;

    private readonly Stream inner;
    private readonly int maxElementBytes;
    private long countedSinceMark;
    private bool betweenElements = true;
    private byte[]? prolog = new byte[PrologCaptureBytes];
    private int prologLength;

    public ReadBudgetStream(Stream inner, int maxElementBytes)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxElementBytes);
        this.inner = inner;
        this.maxElementBytes = maxElementBytes;
    }

    /// <summary>The token of the XmlStreamReader call in progress; XmlReader cannot pass one itself.</summary>
    public CancellationToken CallToken { get; set; }

    /// <summary>True once the peer closed its side (a read returned 0).</summary>
    public bool SawEndOfStream { get; private set; }

    public long TotalBytesRead { get; private set; }

    /// <summary>True when non-whitespace bytes arrived since the last element boundary (a partial element).</summary>
    public bool HasBytesSinceBoundary => !betweenElements;

    /// <summary>Starts a new element's budget; called when a top-level element (or the header) completed.</summary>
    public void MarkElementBoundary()
    {
        countedSinceMark = 0;
        betweenElements = true;
    }

    /// <summary>Stops keeping the first bytes of the stream (only the prolog can carry a DOCTYPE).</summary>
    public void StopPrologCapture() => prolog = null;

    /// <summary>
    /// Whether the prolog contained a DOCTYPE or entity declaration. XmlReader reports a prohibited DTD only as a
    /// localized XmlException message, so the raw bytes are the reliable way to tell restricted-xml from other errors.
    /// </summary>
    public bool PrologHadDoctype()
    {
        if (prolog is null)
        {
            return false;
        }

        var seen = prolog.AsSpan(0, prologLength);
        return seen.IndexOf("<!DOCTYPE"u8) >= 0 || seen.IndexOf("<!ENTITY"u8) >= 0;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

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
        var remaining = maxElementBytes - countedSinceMark;
        if (remaining <= 0)
        {
            throw new XmppProtocolException(
                $"The server sent an element larger than the limit of {maxElementBytes} bytes.", "policy-violation");
        }

        if (buffer.Length > remaining)
        {
            buffer = buffer[..(int)remaining];
        }

        // XmlReader calls the token-less overloads; the token of the XmlStreamReader call is the one that matters.
        var token = cancellationToken.CanBeCanceled ? cancellationToken : CallToken;
        var read = await inner.ReadAsync(buffer, token).ConfigureAwait(false);
        if (read == 0)
        {
            SawEndOfStream = true;
            return 0;
        }

        TotalBytesRead += read;
        var data = buffer.Span[..read];
        Capture(data);
        if (betweenElements)
        {
            var start = data.IndexOfAnyExcept(" \t\r\n"u8);
            if (start < 0)
            {
                return read;
            }

            betweenElements = false;
            countedSinceMark += read - start;
        }
        else
        {
            countedSinceMark += read;
        }

        return read;
    }

    private void Capture(ReadOnlySpan<byte> data)
    {
        if (prolog is null || prologLength == prolog.Length)
        {
            return;
        }

        var take = Math.Min(data.Length, prolog.Length - prologLength);
        data[..take].CopyTo(prolog.AsSpan(prologLength));
        prologLength += take;
    }

    // Synchronous reads would block a thread on the network; the parser is created with Async = true and never
    // needs them, so reaching here is a bug worth failing loudly on.
    public override int Read(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("The XMPP stream is read asynchronously only.");

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
