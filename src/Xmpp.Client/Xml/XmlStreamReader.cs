using System.Xml;
using System.Xml.Linq;
using Xmpp.Client.Transport;

namespace Xmpp.Client.Xml;

/// <summary>
/// Reads one XMPP stream (RFC 6120 §4): the server's stream header, then one complete top-level element at a time.
/// </summary>
/// <remarks>
/// <para>One instance per stream. A stream restart (after STARTTLS <c>&lt;proceed/&gt;</c> or SASL <c>&lt;success/&gt;</c>)
/// needs a new instance over the (possibly new) stream. The parser reads ahead up to its buffer, so bytes the server
/// sent after the element that triggered the restart would be lost with the old instance; RFC 6120 §5.4.3.3 and
/// §6.4.6 guarantee the server sends nothing until the client acts, which is what makes this safe.</para>
/// <para>Cancellation: each call passes its token to the underlying stream reads. If a call is cancelled (or the
/// stream throws), the parser's state is lost and the instance is unusable: later calls throw
/// <see cref="InvalidOperationException"/>. The engine is expected to treat that as the end of the connection.</para>
/// <para>Size: see <see cref="ReadBudgetStream"/> for how <c>maxStanzaBytes</c> is counted (within one parser read, up to 32 KB).</para>
/// <para>Not thread-safe: one reader loop at a time.</para>
/// </remarks>
internal sealed class XmlStreamReader : IDisposable
{
    private static readonly XmlReaderSettings Settings = XmlSafety.CreateSettings(async: true, ConformanceLevel.Document);

    private readonly ReadBudgetStream input;
    private readonly XmlReader reader;
    private readonly ElementBuilder builder = new();
    private State state;
    private char[]? scratch;

    public XmlStreamReader(Stream stream, int maxStanzaBytes)
    {
        input = new ReadBudgetStream(stream, maxStanzaBytes);
        reader = XmlReader.Create(input, Settings);
    }

    private enum State
    {
        BeforeHeader,
        Open,
        Closed,
        Broken,
        Disposed,
    }

    /// <summary>Bytes taken from the underlying stream so far (for diagnostics and tests).</summary>
    public long BytesRead => input.TotalBytesRead;

    /// <summary>True after the server's <c>&lt;/stream:stream&gt;</c>.</summary>
    public bool IsClosed => state == State.Closed;

    /// <summary>Skips the XML declaration and reads <c>&lt;stream:stream ...&gt;</c>.</summary>
    /// <exception cref="XmppProtocolException">Wrong root or namespace, DTD, malformed XML, or the connection closed.</exception>
    /// <exception cref="XmppStreamErrorException">The server answered with a bare <c>&lt;stream:error&gt;</c> instead of a header.</exception>
    public async Task<StreamHeader> ReadHeaderAsync(CancellationToken cancellationToken)
    {
        Require(State.BeforeHeader);
        input.CallToken = cancellationToken;
        try
        {
            while (true)
            {
                if (!await reader.ReadAsync().ConfigureAwait(false))
                {
                    throw ConnectionClosed("before sending a stream header");
                }

                switch (reader.NodeType)
                {
                    case XmlNodeType.XmlDeclaration:
                    case XmlNodeType.Whitespace:
                        continue;
                    case XmlNodeType.Element:
                        return await OnRootAsync().ConfigureAwait(false);
                    default:
                        throw new XmppProtocolException(
                            $"The server sent {reader.NodeType} before the stream header.", "bad-format");
                }
            }
        }
        catch (Exception ex) when (Fail(ex))
        {
            throw;
        }
        catch (XmlException ex)
        {
            throw Translate(ex);
        }
    }

    /// <summary>
    /// The next complete top-level element in its own namespace (jabber:client stanzas, SASL, TLS,
    /// <c>stream:features</c>, <c>stream:error</c>, ...), or null once the server sent <c>&lt;/stream:stream&gt;</c>.
    /// A <c>stream:error</c> is returned like any element; <see cref="StreamErrors.ToException"/> maps it.
    /// </summary>
    public async Task<XElement?> ReadElementAsync(CancellationToken cancellationToken)
    {
        if (state == State.Closed)
        {
            return null;
        }

        Require(State.Open);
        input.CallToken = cancellationToken;
        try
        {
            while (true)
            {
                if (!await reader.ReadAsync().ConfigureAwait(false))
                {
                    throw ConnectionClosed("without closing the stream");
                }

                switch (reader.NodeType)
                {
                    case XmlNodeType.Element:
                        var element = await ReadRestOfElementAsync().ConfigureAwait(false);
                        input.MarkElementBoundary();
                        return element;

                    case XmlNodeType.EndElement:
                        // Only the stream root can end at this level. Nothing more is read: the server may keep the
                        // TCP connection open waiting for our own close.
                        state = State.Closed;
                        return null;

                    case XmlNodeType.Whitespace:
                    case XmlNodeType.SignificantWhitespace:
                        // Whitespace keepalive (RFC 6120 §4.6.1).
                        input.MarkElementBoundary();
                        continue;

                    case XmlNodeType.Text:
                    case XmlNodeType.CDATA:
                        // XmlReader reports a whitespace run longer than its buffer as (partial) text before it knows
                        // better; it is streamed through in chunks so a whitespace flood costs no memory.
                        if (!await IsWhitespaceOnlyAsync().ConfigureAwait(false))
                        {
                            throw new XmppProtocolException("The server sent text outside of any stanza.", "bad-format");
                        }

                        input.MarkElementBoundary();
                        continue;

                    default:
                        continue;
                }
            }
        }
        catch (Exception ex) when (Fail(ex))
        {
            throw;
        }
        catch (XmlException ex)
        {
            throw Translate(ex);
        }
    }

    public void Dispose()
    {
        if (state == State.Disposed)
        {
            return;
        }

        state = State.Disposed;
        reader.Dispose();
    }

    private async Task<StreamHeader> OnRootAsync()
    {
        var local = reader.LocalName;
        var ns = reader.NamespaceURI;
        if (ns == Namespaces.Streams && local == "error")
        {
            // Some servers reject a connection with a bare stream error and no header.
            var error = await ReadRestOfElementAsync().ConfigureAwait(false);
            state = State.Closed;
            throw StreamErrors.ToException(error);
        }

        if (local != "stream")
        {
            throw new XmppProtocolException(
                $"The server's stream starts with <{reader.Name}> instead of <stream:stream>.", "bad-format");
        }

        if (ns != Namespaces.Streams)
        {
            throw new XmppProtocolException(
                $"The server's stream element is in the namespace '{ns}' instead of '{Namespaces.Streams}'.",
                "invalid-namespace");
        }

        var contentNamespace = reader.LookupNamespace(string.Empty);
        if (contentNamespace != Namespaces.Client)
        {
            throw new XmppProtocolException(
                $"The server's stream content namespace is '{contentNamespace}' instead of '{Namespaces.Client}'.",
                "invalid-namespace");
        }

        var header = new StreamHeader(
            reader.GetAttribute("id"),
            reader.GetAttribute("from"),
            reader.GetAttribute("version"),
            NullIfEmpty(reader.XmlLang));

        state = reader.IsEmptyElement ? State.Closed : State.Open;
        input.StopPrologCapture();
        input.MarkElementBoundary();
        return header;
    }

    private async Task<XElement> ReadRestOfElementAsync()
    {
        if (!builder.Start(reader))
        {
            while (true)
            {
                if (!await reader.ReadAsync().ConfigureAwait(false))
                {
                    throw ConnectionClosed("in the middle of a stanza");
                }

                if (ElementBuilder.IsText(reader.NodeType))
                {
                    builder.AddText(await reader.GetValueAsync().ConfigureAwait(false));
                }
                else if (builder.Accept(reader))
                {
                    break;
                }
            }
        }

        return builder.TakeResult();
    }

    private async Task<bool> IsWhitespaceOnlyAsync()
    {
        scratch ??= new char[256];
        int read;
        while ((read = await reader.ReadValueChunkAsync(scratch, 0, scratch.Length).ConfigureAwait(false)) > 0)
        {
            if (scratch.AsSpan(0, read).IndexOfAnyExcept(" \t\r\n") >= 0)
            {
                return false;
            }
        }

        return true;
    }

    private void Require(State expected)
    {
        if (state == expected)
        {
            return;
        }

        throw state switch
        {
            State.Disposed => new ObjectDisposedException(nameof(XmlStreamReader)),
            State.Broken => new InvalidOperationException(
                "The XML stream reader is unusable after a cancelled or failed read; open a new connection."),
            State.BeforeHeader => new InvalidOperationException("Read the stream header first."),
            _ => new InvalidOperationException($"The stream is not in the expected state ({state})."),
        };
    }

    // Any failure leaves XmlReader mid-parse; remembering it makes later misuse fail clearly. Returns false so the
    // exception filter never catches.
    private bool Fail(Exception ex)
    {
        if (ex is not XmppStreamErrorException)
        {
            state = State.Broken;
        }

        return false;
    }

    // "In the middle of a stanza" is reported when the cut is known to be inside an element: the builder had
    // started one, or non-whitespace bytes arrived after the last element completed. A partial start tag that came
    // in the same read as the previous element is invisible here (it sits in XmlReader's buffer) and is reported as
    // "without closing the stream", which is also true.
    private XmppProtocolException Translate(XmlException ex)
    {
        if (input.SawEndOfStream)
        {
            return ConnectionClosed(builder.InProgress || input.HasBytesSinceBoundary ? "in the middle of a stanza" : "without closing the stream", ex);
        }

        if (input.PrologHadDoctype())
        {
            return new XmppProtocolException(
                "The server sent a DTD or entity declaration, which XMPP forbids (restricted XML).", "restricted-xml", ex);
        }

        return new XmppProtocolException(
            $"The server sent XML that is not well-formed at {XmlSafety.Where(ex)}: {ex.Message}", "not-well-formed", ex);
    }

    private XmppProtocolException ConnectionClosed(string when, Exception? inner = null)
    {
        state = State.Broken;
        return new XmppProtocolException($"The connection was closed by the server {when}.", "connection-closed", inner);
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
