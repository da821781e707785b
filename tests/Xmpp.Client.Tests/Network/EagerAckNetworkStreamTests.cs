using System.Net;
using System.Net.Sockets;
using Xmpp.Client.Transport;

namespace Xmpp.Client.Tests.Network;

/// <summary>
/// The client's socket reads ask Linux for immediate ACKs, so a server that leaves Nagle on does not hold its next
/// write for the client's delayed ACK. Checked on the socket's own state: Linux reports TCP_QUICKACK as 0 while the
/// connection is in delayed-ACK ("ping-pong") mode and 1 once quick ACKs are asked for.
/// </summary>
public sealed class EagerAckNetworkStreamTests
{
    private const int IpProtocolTcp = 6;
    private const int TcpQuickAck = 12;

    private static int QuickAck(Socket socket)
    {
        var value = new byte[4];
        socket.GetRawSocketOption(IpProtocolTcp, TcpQuickAck, value);
        return BitConverter.ToInt32(value);
    }

    /// <summary>A client socket and the server side of its loopback connection.</summary>
    private static async Task<(Socket Client, Socket Server)> ConnectedPairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!);
        return (client, await listener.AcceptAsync());
    }

    [Fact]
    public async Task Every_read_turns_delayed_acks_off_again()
    {
        if (!OperatingSystem.IsLinux())
            return;
        var (client, accepted) = await ConnectedPairAsync();
        using var server = accepted;
        await using var stream = new EagerAckNetworkStream(client);
        var buffer = new byte[16];

        for (var round = 0; round < 3; round++)
        {
            // What sending does to a connection that looks interactive: delayed ACKs.
            client.SetRawSocketOption(IpProtocolTcp, TcpQuickAck, BitConverter.GetBytes(0));
            Assert.Equal(0, QuickAck(client));

            await server.SendAsync(new byte[] { (byte)round });
            var read = await stream.ReadAsync(buffer.AsMemory());

            Assert.Equal(1, read);
            Assert.Equal(round, buffer[0]);
            Assert.Equal(1, QuickAck(client));
        }
    }

    [Fact]
    public async Task A_plain_network_stream_stays_in_delayed_ack_mode()
    {
        // The control for the test above: without the eager stream the state it checks does not change by itself.
        if (!OperatingSystem.IsLinux())
            return;
        var (client, accepted) = await ConnectedPairAsync();
        using var server = accepted;
        await using var stream = new NetworkStream(client, ownsSocket: true);
        client.SetRawSocketOption(IpProtocolTcp, TcpQuickAck, BitConverter.GetBytes(0));

        await server.SendAsync(new byte[] { 7 });
        Assert.Equal(1, await stream.ReadAsync(new byte[16].AsMemory()));

        Assert.Equal(0, QuickAck(client));
    }
}
