namespace Xmpp.Notifications.Apprise;

/// <summary>Apprise's <c>mode=</c>: how the TCP connection is secured.</summary>
public enum XmppSecurityMode
{
    /// <summary>Plaintext, no TLS at all (Apprise's default for <c>xmpp://</c>).</summary>
    None,

    /// <summary>STARTTLS upgrade on port 5222 (Apprise's default for <c>xmpps://</c>).</summary>
    StartTls,

    /// <summary>Direct TLS (XEP-0368), port 5223 by default.</summary>
    Tls,
}

/// <summary>Apprise's <c>overflow=</c>: what to do with a body longer than <see cref="AppriseXmppUrl.MaxBodyLength"/>.</summary>
public enum OverflowMode
{
    /// <summary>Send as is; the server decides.</summary>
    Upstream,

    /// <summary>Cut the body to the limit.</summary>
    Truncate,

    /// <summary>Send several messages, each within the limit.</summary>
    Split,
}
