namespace Xmpp.TestServers;

public sealed class ProsodyOptions
{
    /// <summary>The XMPP domain (VirtualHost). Certificates cover it, *.domain, conference.domain, localhost and loopback IPs.</summary>
    public string Domain { get; init; } = "localhost";

    /// <summary>"SHA-1" (Prosody's default) or "SHA-256": Prosody offers exactly one SCRAM hash per host.</summary>
    public string PasswordHash { get; init; } = "SHA-1";

    /// <summary>Disables Nagle (network_settings.nagle = false); with Nagle on, loopback logins stall ~40 ms.</summary>
    public bool TcpNoDelay { get; init; } = true;

    /// <summary>Allows cleartext streams and PLAIN over them, for "mode none" tests.</summary>
    public bool AllowPlaintext { get; init; }

    /// <summary>mod_smacks (XEP-0198); off forces clients to fall back to ping round trips.</summary>
    public bool StreamManagement { get; init; } = true;

    /// <summary>
    /// SASL2 with Bind 2 and FAST (patched copies of Debian's prosody-modules, see <see cref="ProsodySasl2Modules"/>),
    /// offered next to SASL.
    /// </summary>
    public bool Sasl2 { get; init; }

    /// <summary>mod_websocket on the HTTP (and HTTPS) port at /xmpp-websocket.</summary>
    public bool WebSocket { get; init; } = true;

    /// <summary>A second address to listen on besides 127.0.0.1 (e.g. the server side of an emulated WAN link); null for loopback only.</summary>
    public string? ExtraListenAddress { get; init; }

    /// <summary>mod_mam (XEP-0313 message archive, every message archived); off, only offline storage keeps messages.</summary>
    public bool Archive { get; init; }

    /// <summary>
    /// A directory served by mod_http_files at the HTTP(S) root, e.g. one holding <c>.well-known/host-meta</c> (XEP-0156,
    /// which Prosody 0.12 and Debian's prosody-modules do not generate); null for none.
    /// </summary>
    public string? HttpFilesDirectory { get; init; }

    /// <summary>Raw Lua inserted into the global section, just before the VirtualHost (it may open its own sections).</summary>
    public string? ExtraConfig { get; init; }

    /// <summary>Certificates to use; defaults to <see cref="TestCertificates.ForDomain"/>.</summary>
    public TestCertificates? Certificates { get; init; }

    /// <summary>Debug logging; also switched on by the environment variable XMPP_TEST_SERVER_DEBUG=1.</summary>
    public bool DebugLog { get; init; }

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(15);
}
