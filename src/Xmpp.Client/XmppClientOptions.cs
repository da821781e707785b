using System.Security.Cryptography.X509Certificates;

namespace Xmpp.Client;

/// <summary>Everything an <see cref="XmppClient"/> needs to log in. <see cref="ToString"/> never shows the password.</summary>
public sealed class XmppClientOptions
{
    public XmppClientOptions(Jid jid, string password)
    {
        ArgumentNullException.ThrowIfNull(jid);
        ArgumentNullException.ThrowIfNull(password);
        if (jid.Local is null)
            throw new ArgumentException($"The login JID '{jid}' has no localpart.", nameof(jid));
        Jid = jid.Bare;
        Password = password;
        Resource = jid.Resource;
    }

    /// <summary>The account (bare JID) to log in as.</summary>
    public Jid Jid { get; }

    /// <summary>The password. Used only inside SASL; never logged.</summary>
    internal string Password { get; }

    /// <summary>The resource to ask for at bind; null lets the server choose.</summary>
    public string? Resource { get; set; }

    /// <summary>Host to connect to instead of the JID's domain (skips SRV lookup). TLS still checks the certificate against the JID domain.</summary>
    public string? ConnectHost { get; set; }

    /// <summary>Port; null means SRV, then 5222 (5223 for direct TLS).</summary>
    public int? Port { get; set; }

    public SecureSocketOptions Security { get; set; } = SecureSocketOptions.StartTls;

    /// <summary>Verify the server certificate (chain and name). Turning this off is for testing only.</summary>
    public bool VerifyCertificate { get; set; } = true;

    /// <summary>Extra trust anchors (e.g. a private CA); the system store is used as well.</summary>
    public X509Certificate2Collection? TrustedRoots { get; set; }

    /// <summary>
    /// TLS versions to allow: TLS 1.2 and 1.3, pinned rather than left to the platform, whose defaults may still
    /// allow TLS 1.0/1.1 on some systems. Narrow it (e.g. to TLS 1.2 for tls-unique channel binding); never widen it.
    /// </summary>
    public System.Security.Authentication.SslProtocols SslProtocols { get; set; } = DefaultSslProtocols;

    /// <summary>TLS 1.2 and TLS 1.3.</summary>
    public const System.Security.Authentication.SslProtocols DefaultSslProtocols =
        System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13;

    /// <summary>Allow SCRAM-*-PLUS (channel binding). Apprise's <c>scramplus=no</c> turns it off.</summary>
    public bool AllowChannelBinding { get; set; } = true;

    /// <summary>If set, only these SASL mechanisms may be used (e.g. to pin SCRAM-SHA-256).</summary>
    public IReadOnlyCollection<string>? AllowedMechanisms { get; set; }

    /// <summary>Bound on TCP connect plus TLS handshake for one endpoint.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Bound on every single wait for the server (a feature list, a SASL step, an iq result, an ack).</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The largest top-level element accepted from the server, in bytes; larger ones end the session.</summary>
    public int MaxStanzaBytes { get; set; } = 512 * 1024;

    /// <summary>
    /// How many received messages <see cref="XmppClient.Messages"/> keeps for a reader; when nobody reads, the oldest
    /// are dropped, so a server flooding a session cannot grow its memory.
    /// </summary>
    public int MaxReceivedMessages { get; set; } = 256;

    /// <summary>
    /// The most stanzas the server may send in one session (after login); more ends the session with a
    /// <c>policy-violation</c> <see cref="XmppProtocolException"/>. A notification session receives a few dozen.
    /// </summary>
    public long MaxInboundStanzas { get; set; } = 100_000;

    /// <summary>The most bytes the server may send in one session; more ends it like <see cref="MaxInboundStanzas"/>.</summary>
    public long MaxInboundBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Ask for XEP-0198 stream management when offered (acknowledged delivery).</summary>
    public bool UseStreamManagement { get; set; } = true;

    /// <summary>
    /// Fewer round trips for short sessions: <see cref="XmppClient.AuthenticateAsync"/> returns once the stream restart
    /// and the bind request are sent, so the stanzas sent next share their flight. <see cref="XmppClient.BoundJid"/> is
    /// set when the bind answer arrives; a failed bind fails the session and is thrown by
    /// <see cref="XmppClient.WaitForDeliveryAsync"/> and <see cref="XmppClient.DisconnectAsync"/>. Stream management is
    /// not enabled then (a server without XEP-0198 would end the stream over an <c>&lt;enable/&gt;</c> it did not offer):
    /// delivery is proven by a ping answer, which any server sends, in order, after handling what came before.
    /// </summary>
    public bool PipelineLogin { get; set; }

    /// <summary>
    /// With <see cref="PipelineLogin"/>: log in with SASL2 (XEP-0388) and Bind 2 (XEP-0386) where the server offers both
    /// and no <see cref="Resource"/> is asked for, which saves the stream restart and the bind round trip. The mechanism
    /// rules are those of SASL (SCRAM first, channel binding, no PLAIN in clear). The first stanzas share the flight of the
    /// last SASL message only when the server is already authenticated by its verified certificate or by channel binding;
    /// otherwise they wait for the success and its proof.
    /// </summary>
    public bool UseSasl2 { get; set; } = true;

    /// <summary>
    /// Turns on FAST (XEP-0484) in SASL2 logins: a SCRAM login asks the server for a token, kept here, and later logins
    /// prove the token in their first message, so the stanzas travel in that same flight. A refused token is removed and
    /// the login fails with <see cref="XmppAuthenticationException.IsTokenFailure"/>; the next one uses SCRAM. Null: off.
    /// </summary>
    public IFastTokenStore? FastTokens { get; set; }

    /// <summary>Resolver for SRV records; null uses <see cref="Transport.DnsSrvResolver.Instance"/> (the system's name servers). Ignored when <see cref="ConnectHost"/> is set.</summary>
    public ISrvResolver? SrvResolver { get; set; }

    /// <summary>Null for TCP; set to use XMPP over WebSocket (RFC 7395), e.g. <c>wss://host/xmpp-websocket</c>.</summary>
    public Uri? WebSocketUri { get; set; }

    /// <summary>
    /// Use XMPP over WebSocket at the endpoint the JID domain publishes (XEP-0156: <c>https://{domain}/.well-known/host-meta</c>,
    /// then <c>host-meta.json</c>) when <see cref="WebSocketUri"/> is null. The documents are fetched over HTTPS with the
    /// certificate checked for the JID domain; only wss:// links are used unless <see cref="Security"/> is None.
    /// </summary>
    public bool DiscoverWebSocket { get; set; }

    /// <summary>Where the XEP-0156 documents are looked for; null means <c>https://{JID domain}/</c> (e.g. another port for tests).</summary>
    public Uri? HostMetaBase { get; set; }

    /// <summary>
    /// Extra HTTP headers for the WebSocket upgrade request (a token, a <c>Cookie</c>), for servers or proxies that
    /// authenticate the upgrade. The values are secrets: never logged, never in <see cref="ToString"/> or errors.
    /// </summary>
    public IList<KeyValuePair<string, string>> WebSocketHeaders { get; } = [];

    public IProtocolLogger? ProtocolLogger { get; set; }

    /// <summary>How subscription requests that reach this session are answered (they arrive once presence is sent).</summary>
    public SubscriptionPolicy SubscriptionPolicy { get; set; } = SubscriptionPolicy.Ignore;

    public override string ToString() =>
        $"{Jid} via {Via()} ({Security}, verify={(VerifyCertificate ? "yes" : "no")})";

    private string Via()
    {
        var headers = WebSocketHeaders.Count == 0 ? "" : $" with headers {string.Join(", ", WebSocketHeaders.Select(h => h.Key + ": ****"))}";
        if (WebSocketUri is { } uri)
            return Transport.WebSocketTransport.Describe(uri) + headers;
        if (DiscoverWebSocket)
            return $"WebSocket from {Transport.HostMetaDiscovery.BaseFor(this)}.well-known/host-meta" + headers;
        return (ConnectHost ?? Jid.Domain) + (Port is null ? "" : ":" + Port);
    }
}

/// <summary>Looks up DNS SRV records (RFC 2782).</summary>
public interface ISrvResolver
{
    /// <summary>Records for <paramref name="name"/> (e.g. <c>_xmpp-client._tcp.example.org</c>), unsorted; empty when there are none.</summary>
    Task<IReadOnlyList<SrvRecord>> ResolveAsync(string name, CancellationToken cancellationToken);
}

public sealed record SrvRecord(string Target, int Port, int Priority, int Weight);
