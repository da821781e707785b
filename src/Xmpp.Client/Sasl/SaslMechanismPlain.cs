using System.Text;

namespace Xmpp.Client.Sasl;

/// <summary>
/// PLAIN (RFC 4616): the password travels as-is, so the engine offers it only over TLS or when the
/// user explicitly chose plaintext. No authorization identity is sent: the server derives it.
/// </summary>
public sealed class SaslMechanismPlain : SaslMechanism
{
    private readonly SaslCredentials _credentials;

    public SaslMechanismPlain(SaslCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        _credentials = credentials;
    }

    public override string Name => "PLAIN";

    internal override bool AwaitsOutcome => true;

    public override byte[] GetInitialResponse() =>
        Encoding.UTF8.GetBytes("\0" + SaslPrep.Prepare(_credentials.Username) + "\0" + SaslPrep.Prepare(_credentials.Password));

    public override byte[] EvaluateChallenge(ReadOnlySpan<byte> challenge) =>
        throw Fail("The server sent a challenge to PLAIN, which has none; refusing to send the password again.");

    // PLAIN has no server proof; any additional data is meaningless and ignored.
    public override void VerifySuccess(ReadOnlySpan<byte> additionalData)
    {
    }

    public override string RedactForLog(ReadOnlySpan<byte> clientMessage) => Redacted;

    public override string ToString() => $"PLAIN {{ Username = {_credentials.Username} }}";
}
