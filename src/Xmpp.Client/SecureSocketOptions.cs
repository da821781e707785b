namespace Xmpp.Client;

/// <summary>How the connection is secured.</summary>
public enum SecureSocketOptions
{
    /// <summary>Plaintext. PLAIN authentication is only allowed in this mode.</summary>
    None,

    /// <summary>Connect in cleartext and upgrade with STARTTLS; fail if the server does not offer it (never downgrade).</summary>
    StartTls,

    /// <summary>TLS from the first byte (XEP-0368, usually port 5223).</summary>
    DirectTls,
}
