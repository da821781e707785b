namespace Xmpp.Notifications.Apprise;

/// <summary><c>transport=</c>: how a URL's sessions reach the server.</summary>
public enum UrlTransport
{
    /// <summary><c>transport=tcp</c> (default): RFC 6120 over TCP, STARTTLS or direct TLS, at the URL host and port (or <c>xmpp=</c>).</summary>
    Tcp,

    /// <summary>
    /// <c>transport=websocket</c> (or <c>ws</c>), implied by <c>wsurl=</c>: RFC 7395 at <c>wsurl=</c>, or at the endpoint the
    /// domain publishes in its XEP-0156 host-meta. <c>+Name=value</c> parameters become headers of the upgrade request.
    /// </summary>
    WebSocket,
}
