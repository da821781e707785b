namespace Xmpp.Client;

/// <summary>Base of every error this library raises. Messages never contain credentials.</summary>
public abstract class XmppException : Exception
{
    protected XmppException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>The TCP (or WebSocket) connection could not be made: DNS, refused, unreachable, or connect timeout.</summary>
public sealed class XmppConnectException : XmppException
{
    public XmppConnectException(string host, int port, string message, Exception? inner = null)
        : base(message, inner)
    {
        Host = host;
        Port = port;
    }

    public string Host { get; }

    public int Port { get; }
}

/// <summary>TLS failed: handshake error, certificate not trusted or for another name, or STARTTLS not offered.</summary>
public sealed class XmppTlsException : XmppException
{
    public XmppTlsException(string message, System.Net.Security.SslPolicyErrors policyErrors = System.Net.Security.SslPolicyErrors.None, Exception? inner = null)
        : base(message, inner) => PolicyErrors = policyErrors;

    public System.Net.Security.SslPolicyErrors PolicyErrors { get; }
}

/// <summary>SASL authentication failed. <see cref="Condition"/> is the RFC 6120 §6.5 condition when the server sent one.</summary>
public sealed class XmppAuthenticationException : XmppException
{
    public XmppAuthenticationException(string message, string? condition = null, string? mechanism = null, Exception? inner = null)
        : base(message, inner)
    {
        Condition = condition;
        Mechanism = mechanism;
    }

    /// <summary>e.g. <c>not-authorized</c>, <c>account-disabled</c>, <c>invalid-mechanism</c>.</summary>
    public string? Condition { get; }

    public string? Mechanism { get; }

    /// <summary>
    /// True when the server refused a FAST token (XEP-0484). The token is forgotten, so a new login authenticates with
    /// SCRAM; stanzas sent in the refused login's flight were not accepted and may be sent again.
    /// </summary>
    public bool IsTokenFailure => Mechanism?.StartsWith("HT-", StringComparison.Ordinal) == true;

    /// <summary>True when the failure is about channel binding (a -PLUS mechanism the server could not verify).</summary>
    public bool IsChannelBindingFailure =>
        Mechanism?.EndsWith("-PLUS", StringComparison.Ordinal) == true
        && (Message.Contains("channel binding", StringComparison.OrdinalIgnoreCase) || Condition is "malformed-request");
}

/// <summary>The server ended the stream with a stream error (RFC 6120 §4.9).</summary>
public sealed class XmppStreamErrorException : XmppException
{
    public XmppStreamErrorException(string condition, string? text)
        : base($"The server closed the stream with the error '{condition}'" + (string.IsNullOrEmpty(text) ? "." : $": {text}"))
    {
        Condition = condition;
        Text = text;
    }

    /// <summary>e.g. <c>host-unknown</c>, <c>policy-violation</c>, <c>conflict</c>, <c>see-other-host</c>.</summary>
    public string Condition { get; }

    public string? Text { get; }
}

/// <summary>A stanza was answered with an error (RFC 6120 §8.3): an iq error, a message bounce, a presence error.</summary>
public class XmppStanzaErrorException : XmppException
{
    public XmppStanzaErrorException(StanzaError error, string? context = null)
        : base((context is null ? "" : context + ": ") + error.ToString()) => Error = error;

    public StanzaError Error { get; }
}

/// <summary>The server did not answer in time. <see cref="Operation"/> says what was being waited for.</summary>
public sealed class XmppTimeoutException : XmppException
{
    public XmppTimeoutException(string operation, TimeSpan timeout, Exception? inner = null)
        : base($"Timed out after {timeout.TotalSeconds:0.###} s waiting for {operation}.", inner)
    {
        Operation = operation;
        Timeout = timeout;
    }

    public string Operation { get; }

    public TimeSpan Timeout { get; }
}

/// <summary>The peer broke the protocol: XML that is not well-formed, a DTD, invalid UTF-8, an oversize stanza, an unexpected element, a cut stream.</summary>
public sealed class XmppProtocolException : XmppException
{
    public XmppProtocolException(string message, string condition = "not-well-formed", Exception? inner = null)
        : base(message, inner) => Condition = condition;

    /// <summary>The closest RFC 6120 stream error condition (not-well-formed, policy-violation, restricted-xml, invalid-xml, connection-timeout, ...).</summary>
    public string Condition { get; }

    /// <summary>
    /// True when a login sent on what this process learnt about the server met a server that now offers something else:
    /// nothing of that session was accepted, the learnt features are replaced, and a new login at once takes the new offer.
    /// </summary>
    public bool IsStaleServerKnowledge { get; init; }
}

/// <summary>A stanza error (RFC 6120 §8.3.2) as received.</summary>
public sealed record StanzaError(string Type, string Condition, string? Text, string? By = null)
{
    public override string ToString() =>
        $"{Condition} ({Type})" + (string.IsNullOrEmpty(Text) ? "" : $": {Text}");
}

/// <summary>Why XEP-0156 discovery found no usable WebSocket endpoint.</summary>
public enum DiscoveryFailure
{
    /// <summary>The host-meta documents could not be fetched: refused, unreachable, an HTTP error status, a broken connection.</summary>
    Unreachable,

    /// <summary>Neither document exists (HTTP 404 or 410): the domain publishes no alternative connection methods.</summary>
    NotPublished,

    /// <summary>A document is not well-formed XRD or JSON, has a DTD, or is larger than the limit.</summary>
    InvalidDocument,

    /// <summary>The documents name no <c>urn:xmpp:alt-connections:websocket</c> link this session may use (e.g. only ws:// while TLS is required).</summary>
    NoWebSocketLink,

    /// <summary>The server did not answer within the connect and response timeouts.</summary>
    Timeout,
}

/// <summary>
/// XEP-0156 discovery of the WebSocket endpoint (host-meta at the JID domain) failed. The message names the documents
/// tried and what to do: publish the link, or give the endpoint explicitly.
/// </summary>
public sealed class XmppDiscoveryException : XmppException
{
    public XmppDiscoveryException(string domain, DiscoveryFailure reason, string message, Exception? inner = null)
        : base(message, inner)
    {
        Domain = domain;
        Reason = reason;
    }

    public string Domain { get; }

    public DiscoveryFailure Reason { get; }
}
