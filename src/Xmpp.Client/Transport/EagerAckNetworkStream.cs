using System.Net.Sockets;

namespace Xmpp.Client.Transport;

/// <summary>
/// A <see cref="NetworkStream"/> that asks Linux to acknowledge what it reads at once (<c>TCP_QUICKACK</c>) instead of
/// delaying the ACK (by 40 ms or more), as Linux does once a connection looks interactive.
/// </summary>
/// <remarks>
/// A server that leaves Nagle's algorithm on (stock Prosody) holds its next small write until the previous one is
/// acknowledged. After the TLS handshake it writes two session tickets, so the second ticket and the stream features
/// behind it wait for the client's ACK of the first: with delayed ACKs that adds ~40 ms to every login, on loopback as
/// over a wide-area link. The option is not sticky (sending data turns delayed ACKs back on), so it is asked for before
/// every read from the socket; it costs one system call per read. Elsewhere than Linux this is a plain stream.
/// </remarks>
internal sealed class EagerAckNetworkStream(Socket socket) : NetworkStream(socket, ownsSocket: true)
{
    private const int IpProtocolTcp = 6;
    private const int TcpQuickAck = 12;
    private static readonly byte[] On = BitConverter.GetBytes(1);
    private bool _unsupported = !OperatingSystem.IsLinux();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        AcknowledgeEagerly();
        return base.ReadAsync(buffer, cancellationToken);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        AcknowledgeEagerly();
        return base.ReadAsync(buffer, offset, count, cancellationToken);
    }

    public override int Read(Span<byte> buffer)
    {
        AcknowledgeEagerly();
        return base.Read(buffer);
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        AcknowledgeEagerly();
        return base.Read(buffer, offset, count);
    }

    private void AcknowledgeEagerly()
    {
        if (_unsupported)
            return;
        try
        {
            Socket.SetRawSocketOption(IpProtocolTcp, TcpQuickAck, On);
        }
        catch (SocketException)
        {
            // A kernel or sandbox without the option: plain delayed ACKs, as before.
            _unsupported = true;
        }
        catch (ObjectDisposedException)
        {
            // The read that follows reports the closed connection.
        }
    }
}
