using System.Net.Sockets;
using System.Reflection;
using System.Xml.Linq;
using Xmpp.Client.Transport;
using Xmpp.Client;

namespace Xmpp.Bench;

/// <summary>
/// Experiment, not a product: the client's own TcpTransport with Linux TCP_QUICKACK set before every read, so the
/// client acknowledges each server segment at once instead of delaying the ACK up to 40 ms. A server that leaves
/// Nagle on holds its second small write (the features after a stream header) until that ACK arrives; this shows how
/// much of the stall a client can remove on its own. The socket is reached by reflection because the transport keeps it private.
/// </summary>
internal sealed class QuickAckTransport(XmppClientOptions options) : IXmppTransport
{
    private const int IpProtocolTcp = 6;
    private const int TcpQuickAck = 12;
    private static readonly FieldInfo? SocketField = typeof(TcpTransport).GetField("_socket", BindingFlags.Instance | BindingFlags.NonPublic);
    private readonly TcpTransport _inner = new(options);

    public static bool IsAvailable => OperatingSystem.IsLinux() && SocketField is not null;

    public bool IsEncrypted => _inner.IsEncrypted;

    public TlsDetails? Tls => _inner.Tls;

    public bool SupportsStartTls => _inner.SupportsStartTls;

    private void QuickAck()
    {
        if (SocketField?.GetValue(_inner) is Socket { Connected: true } socket)
            socket.SetRawSocketOption(IpProtocolTcp, TcpQuickAck, BitConverter.GetBytes(1));
    }

    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        await _inner.ConnectAsync(cancellationToken);
        QuickAck();
    }

    public Task StartTlsAsync(CancellationToken cancellationToken)
    {
        QuickAck();
        return _inner.StartTlsAsync(cancellationToken);
    }

    public Task<StreamHeader> OpenStreamAsync(string serverDomain, string? clientJid, CancellationToken cancellationToken)
    {
        QuickAck();
        return _inner.OpenStreamAsync(serverDomain, clientJid, cancellationToken);
    }

    public void EnqueueStreamHeader(string serverDomain, string? clientJid) => _inner.EnqueueStreamHeader(serverDomain, clientJid);

    public Task<StreamHeader> ReadStreamHeaderAsync(CancellationToken cancellationToken)
    {
        QuickAck();
        return _inner.ReadStreamHeaderAsync(cancellationToken);
    }

    public void Enqueue(string element, string? redactedForLog = null) => _inner.Enqueue(element, redactedForLog);

    public Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public Task<XElement?> ReadElementAsync(CancellationToken cancellationToken)
    {
        QuickAck();
        return _inner.ReadElementAsync(cancellationToken);
    }

    public Task CloseStreamAsync(CancellationToken cancellationToken) => _inner.CloseStreamAsync(cancellationToken);

    public ValueTask DisposeAsync() => _inner.DisposeAsync();
}
