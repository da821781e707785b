using System.Xml.Linq;

namespace Xmpp.Client.Transport;

/// <summary>
/// Carries one XMPP session's XML: TCP (RFC 6120 framing, STARTTLS or direct TLS) or WebSocket (RFC 7395,
/// one element per frame). SASL, binding and stanza logic sit above this and do not know which one it is.
/// </summary>
public interface IXmppTransport : IAsyncDisposable
{
    /// <summary>True once the bytes are protected by TLS (direct, STARTTLS or wss).</summary>
    bool IsEncrypted { get; }

    /// <summary>TLS facts needed by SASL channel binding; null before TLS.</summary>
    TlsDetails? Tls { get; }

    /// <summary>False for transports where STARTTLS does not apply (WebSocket).</summary>
    bool SupportsStartTls { get; }

    Task ConnectAsync(CancellationToken cancellationToken);

    /// <summary>Upgrades to TLS after the server's <c>&lt;proceed/&gt;</c>.</summary>
    Task StartTlsAsync(CancellationToken cancellationToken);

    /// <summary>Opens (or restarts) the stream: sends our header and reads the server's.</summary>
    Task<StreamHeader> OpenStreamAsync(string serverDomain, string? clientJid, CancellationToken cancellationToken);

    /// <summary>
    /// Queues our stream header (opening or restarting the stream) without sending it, so that elements queued next
    /// travel in the same flight; <see cref="ReadStreamHeaderAsync"/> then reads the server's header.
    /// </summary>
    void EnqueueStreamHeader(string serverDomain, string? clientJid);

    /// <summary>Reads the server's header of the stream opened by <see cref="EnqueueStreamHeader"/>.</summary>
    Task<StreamHeader> ReadStreamHeaderAsync(CancellationToken cancellationToken);

    /// <summary>Queues one complete top-level element (serialized XML) to send; <paramref name="redactedForLog"/>, when given, is what the protocol log shows instead (SASL secrets).</summary>
    void Enqueue(string element, string? redactedForLog = null);

    /// <summary>Sends what was queued.</summary>
    Task FlushAsync(CancellationToken cancellationToken);

    /// <summary>The next top-level element, or null when the server closed the stream.</summary>
    Task<XElement?> ReadElementAsync(CancellationToken cancellationToken);

    /// <summary>Bytes received from the server since the connection was made (bounds what one session may receive).</summary>
    long BytesReceived => 0;

    /// <summary>Sends the stream close (<c>&lt;/stream:stream&gt;</c> or <c>&lt;close/&gt;</c>).</summary>
    Task CloseStreamAsync(CancellationToken cancellationToken);
}

/// <summary>The server's stream header (or RFC 7395 <c>&lt;open/&gt;</c>).</summary>
public sealed record StreamHeader(string? Id, string? From, string? Version, string? Language);

/// <summary>What SASL needs to know about the TLS session.</summary>
public sealed class TlsDetails
{
    public TlsDetails(System.Security.Authentication.SslProtocols protocol, Func<string, byte[]?> channelBinding)
    {
        Protocol = protocol;
        ChannelBindingData = channelBinding;
    }

    public System.Security.Authentication.SslProtocols Protocol { get; }

    /// <summary>Channel-binding data for a type (<c>tls-unique</c>, <c>tls-server-end-point</c>, <c>tls-exporter</c>), or null if the platform cannot give it.</summary>
    public Func<string, byte[]?> ChannelBindingData { get; }
}
