using System.Security.Cryptography;
using System.Text;

namespace Xmpp.Client.Sasl;

/// <summary>
/// HT-SHA-256-* (XEP-0484 FAST, the hashed-token mechanisms): one message proves possession of a token the server
/// issued at an earlier login, and the success proves the server knows it too. The token never travels; only
/// HMAC-SHA-256(token, "Initiator" || channel-binding data) does, and the server answers with the "Responder" HMAC.
/// With channel binding (-UNIQ, -ENDP, -EXPR) the proof is tied to this TLS channel, like SCRAM -PLUS.
/// </summary>
public sealed class SaslMechanismHashedToken : SaslMechanism
{
    private readonly string _name;
    private readonly string _username;
    private readonly byte[] _token;
    private readonly byte[] _bindingData;
    private bool _sent;

    /// <param name="name">HT-SHA-256-NONE, -UNIQ, -ENDP or -EXPR; must match <paramref name="binding"/>.</param>
    /// <param name="username">The account's localpart.</param>
    /// <param name="token">The FAST token the server issued.</param>
    /// <param name="binding">Channel-binding data for the -UNIQ/-ENDP/-EXPR variants; null for -NONE.</param>
    public SaslMechanismHashedToken(string name, string username, string token, ChannelBinding? binding)
    {
        ArgumentException.ThrowIfNullOrEmpty(username);
        ArgumentException.ThrowIfNullOrEmpty(token);
        if (NameFor(binding) != name)
            throw new ArgumentException($"{name} does not match the channel binding {(binding?.Type ?? "none")}.", nameof(name));
        _name = name;
        _username = username;
        _token = Encoding.UTF8.GetBytes(token);
        _bindingData = binding?.Data ?? [];
    }

    /// <summary>The HT-SHA-256 variant for a channel binding (null: none), or null when the type has no variant.</summary>
    public static string? NameFor(ChannelBinding? binding) => binding?.Type switch
    {
        null => "HT-SHA-256-NONE",
        ChannelBinding.TlsUnique => "HT-SHA-256-UNIQ",
        ChannelBinding.TlsServerEndPoint => "HT-SHA-256-ENDP",
        ChannelBinding.TlsExporter => "HT-SHA-256-EXPR",
        _ => null,
    };

    public override string Name => _name;

    public override bool UsesChannelBinding => _bindingData.Length > 0;

    internal override bool AwaitsOutcome => _sent;

    public override byte[] GetInitialResponse()
    {
        if (_sent)
            throw new InvalidOperationException("A hashed-token mechanism instance serves one authentication attempt; create a new one.");
        _sent = true;
        var user = Encoding.UTF8.GetBytes(_username);
        var proof = Hmac("Initiator");
        var message = new byte[user.Length + 1 + proof.Length];
        user.CopyTo(message, 0);
        proof.CopyTo(message, user.Length + 1);
        return message;
    }

    /// <summary>Whether this instance proves <paramref name="token"/> (to tell a refused token from a newer one).</summary>
    internal bool IsFor(string token) => CryptographicOperations.FixedTimeEquals(_token, Encoding.UTF8.GetBytes(token));

    public override byte[] EvaluateChallenge(ReadOnlySpan<byte> challenge) =>
        throw Fail($"The server sent a challenge to {_name}, which has none.");

    public override void VerifySuccess(ReadOnlySpan<byte> additionalData)
    {
        if (!_sent)
            throw Fail("The server reported success before the token proof was sent.");
        if (!CryptographicOperations.FixedTimeEquals(additionalData, Hmac("Responder")))
            throw Fail($"server proof mismatch: the success of {_name} did not carry the token's responder HMAC, so the server did not prove it knows the token.");
    }

    // The proof is derived from the token: a log keeps only the structure.
    public override string RedactForLog(ReadOnlySpan<byte> clientMessage) => Redacted;

    public override string ToString() => $"{_name} {{ Username = {_username} }}";

    private byte[] Hmac(string label)
    {
        var data = new byte[label.Length + _bindingData.Length];
        Encoding.ASCII.GetBytes(label, data);
        _bindingData.CopyTo(data, label.Length);
        return HMACSHA256.HashData(_token, data);
    }
}
