namespace Xmpp.Client.Sasl;

/// <summary>
/// One SASL mechanism (RFC 4422) for one authentication attempt. Instances hold per-attempt state
/// (nonces, expected server signature) and must not be reused for a second attempt.
/// </summary>
public abstract class SaslMechanism
{
    /// <summary>The IANA mechanism name as sent in <c>&lt;auth mechanism='...'/&gt;</c>, e.g. <c>SCRAM-SHA-256-PLUS</c>.</summary>
    public abstract string Name { get; }

    /// <summary>True for -PLUS mechanisms, whose success proves both ends see the same TLS channel.</summary>
    public virtual bool UsesChannelBinding => false;

    /// <summary>The initial client response; an empty array means "send an empty response" (<c>=</c>).</summary>
    public abstract byte[] GetInitialResponse();

    /// <summary>Answers a server challenge. Throws <see cref="XmppAuthenticationException"/> on malformed or hostile data.</summary>
    public abstract byte[] EvaluateChallenge(ReadOnlySpan<byte> challenge);

    /// <summary>
    /// Checks the additional data of <c>&lt;success/&gt;</c>. Mechanisms with mutual authentication throw
    /// <see cref="XmppAuthenticationException"/> when the server did not prove it knows the password.
    /// </summary>
    public abstract void VerifySuccess(ReadOnlySpan<byte> additionalData);

    /// <summary>
    /// What the protocol log may show for a payload this mechanism produced. The default hides everything,
    /// so a mechanism that forgets to override cannot leak a secret.
    /// </summary>
    public virtual string RedactForLog(ReadOnlySpan<byte> clientMessage) => Redacted;

    /// <summary>
    /// True once the client has sent its last message and only the outcome can follow; a pipelined SASL2 login then
    /// lets the first stanzas share that flight instead of waiting for the success.
    /// </summary>
    internal virtual bool AwaitsOutcome => false;

    private protected const string Redacted = "[redacted]";

    private protected XmppAuthenticationException Fail(string message, string? condition = null) =>
        new(message, condition, Name);
}
