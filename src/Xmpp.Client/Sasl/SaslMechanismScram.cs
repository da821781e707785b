using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Xmpp.Client.Sasl;

/// <summary>
/// SCRAM-SHA-1/-256/-512 and their -PLUS variants (RFC 5802, RFC 7677, channel binding per RFC 5929 / RFC 9266).
/// The server proves it knows the password too: <see cref="VerifySuccess"/> refuses a success without a valid
/// server signature, so a man in the middle that merely says "success" is caught.
/// </summary>
public sealed class SaslMechanismScram : SaslMechanism
{
    /// <summary>Below this, RFC 7677 §4 says the stored keys are too cheap to brute-force.</summary>
    public const int MinimumIterations = 4096;

    /// <summary>Above this, a hostile server could make each login burn seconds of CPU.</summary>
    public const int MaximumIterations = 1_000_000;

    private const int ClientNonceBytes = 24;
    private const int MaxServerTextInMessages = 100;

    // Invalid bytes from the server throw instead of decoding to U+FFFD.
    private static readonly Encoding StrictUtf8 =
        Encoding.GetEncoding(Encoding.UTF8.CodePage, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);

    private readonly ScramHash _hash;
    private readonly SaslCredentials _credentials;
    private readonly ChannelBinding? _binding;
    private readonly string _gs2Header;
    private readonly string _clientNonce;

    private State _state = State.Initial;
    private string? _clientFirstBare;
    private byte[]? _clientFirst;
    private string? _clientFinalWithoutProof;
    private byte[]? _clientFinal;
    private byte[]? _expectedServerSignature;

    /// <param name="hash">The SCRAM hash function.</param>
    /// <param name="credentials">The account.</param>
    /// <param name="binding">Channel-binding data; non-null makes this the -PLUS mechanism (gs2 flag <c>p=type</c>).</param>
    /// <param name="clientSupportsBindingButNotUsed">
    /// Without <paramref name="binding"/>: true sends gs2 flag <c>y</c> ("I could bind, but you offered no -PLUS"),
    /// which lets a server that does support -PLUS detect that someone stripped it from its offer; false sends <c>n</c>.
    /// </param>
    /// <param name="fixedNonceForTests">Replaces the random client nonce; only for reproducing published test vectors.</param>
    public SaslMechanismScram(ScramHash hash, SaslCredentials credentials, ChannelBinding? binding, bool clientSupportsBindingButNotUsed, string? fixedNonceForTests = null)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        _ = hash.MechanismName(); // rejects undefined enum values early
        _hash = hash;
        _credentials = credentials;
        _binding = binding;

        if (binding is not null)
        {
            if (string.IsNullOrEmpty(binding.Type) || !binding.Type.All(IsChannelBindingNameChar))
            {
                throw new ArgumentException("The channel-binding type must be a non-empty name of letters, digits, '.' and '-'.", nameof(binding));
            }

            if (binding.Data is null || binding.Data.Length == 0)
            {
                throw new ArgumentException("The channel-binding data is empty.", nameof(binding));
            }

            _gs2Header = "p=" + binding.Type + ",,";
        }
        else
        {
            _gs2Header = clientSupportsBindingButNotUsed ? "y,," : "n,,";
        }

        if (fixedNonceForTests is not null)
        {
            if (fixedNonceForTests.Length == 0 || !fixedNonceForTests.All(IsPrintable))
            {
                throw new ArgumentException("A nonce is printable ASCII without ','.", nameof(fixedNonceForTests));
            }

            _clientNonce = fixedNonceForTests;
        }
        else
        {
            _clientNonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(ClientNonceBytes));
        }
    }

    private enum State
    {
        Initial,
        AwaitingServerFirst,
        AwaitingServerFinal,
        Verified,
        Failed,
    }

    public override string Name => _hash.MechanismName() + (_binding is null ? "" : "-PLUS");

    public override bool UsesChannelBinding => _binding is not null;

    internal override bool AwaitsOutcome => _state == State.AwaitingServerFinal;

    /// <summary>The GS2 header this instance sends: <c>n,,</c>, <c>y,,</c> or <c>p=&lt;type&gt;,,</c>.</summary>
    public string Gs2Header => _gs2Header;

    public override byte[] GetInitialResponse()
    {
        if (_state != State.Initial)
        {
            throw new InvalidOperationException("A SCRAM mechanism instance serves one authentication attempt; create a new one.");
        }

        // No authzid: the server derives the JID from the authentication identity.
        _clientFirstBare = "n=" + EscapeUsername(SaslPrep.Prepare(_credentials.Username)) + ",r=" + _clientNonce;
        _clientFirst = Encoding.UTF8.GetBytes(_gs2Header + _clientFirstBare);
        _state = State.AwaitingServerFirst;
        return (byte[])_clientFirst.Clone();
    }

    public override byte[] EvaluateChallenge(ReadOnlySpan<byte> challenge)
    {
        switch (_state)
        {
            case State.AwaitingServerFirst:
                return Guard(challenge, AnswerServerFirst);
            case State.AwaitingServerFinal:
                // Some servers send server-final as a challenge and expect an empty response before <success/>.
                Guard(challenge, VerifyServerFinal);
                return [];
            case State.Initial:
                throw Failed("The server sent a SCRAM challenge before the client's first message.");
            default:
                throw Failed("The server sent a SCRAM challenge after the exchange was complete.");
        }
    }

    public override void VerifySuccess(ReadOnlySpan<byte> additionalData)
    {
        switch (_state)
        {
            case State.AwaitingServerFinal when additionalData.IsEmpty:
                throw Failed("server signature mismatch: the server reported success without sending its signature (v=), so it did not prove it knows the password.");
            case State.AwaitingServerFinal:
                Guard(additionalData, VerifyServerFinal);
                return;
            case State.Verified when additionalData.IsEmpty:
                return;
            case State.Verified:
                // Signature already checked in a challenge; a repeated one must still be the right one.
                _state = State.AwaitingServerFinal;
                Guard(additionalData, VerifyServerFinal);
                return;
            default:
                throw Failed("server signature mismatch: the server reported success before the SCRAM exchange was complete, so it did not prove it knows the password.");
        }
    }

    public override string RedactForLog(ReadOnlySpan<byte> clientMessage)
    {
        // Only messages this instance produced are shown, and only their non-secret parts.
        if (clientMessage.IsEmpty)
        {
            return "";
        }

        // Nonces, salt, iteration count and either signature together allow an offline dictionary attack on the
        // password (RFC 5802 §9), so a protocol log keeps only the structure: mechanism, binding flag and user name.
        if (_clientFirst is not null && clientMessage.SequenceEqual(_clientFirst))
        {
            var bare = _clientFirstBare ?? "";
            return _gs2Header + bare[..Math.Max(0, bare.LastIndexOf(",r=", StringComparison.Ordinal))] + ",r=" + Redacted;
        }

        if (_clientFinal is not null && clientMessage.SequenceEqual(_clientFinal))
        {
            return "c=" + Redacted + ",r=" + Redacted + ",p=" + Redacted;
        }

        return Redacted;
    }

    public override string ToString() => $"{Name} {{ Username = {_credentials.Username}, Gs2Header = {_gs2Header} }}";

    private T Guard<T>(ReadOnlySpan<byte> serverMessage, Func<string, T> step)
    {
        try
        {
            return step(Decode(serverMessage));
        }
        catch (XmppAuthenticationException)
        {
            _state = State.Failed;
            throw;
        }
    }

    // Decoding steps that throw live in their own methods, so no caller holds a variable that a catch leaves unassigned.
    private string Decode(ReadOnlySpan<byte> serverMessage)
    {
        try
        {
            return StrictUtf8.GetString(serverMessage);
        }
        catch (DecoderFallbackException ex)
        {
            throw new XmppAuthenticationException("The server sent a SCRAM message that is not valid UTF-8.", null, Name, ex);
        }
    }

    private byte[] FromBase64(string text, string errorMessage)
    {
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException ex)
        {
            throw new XmppAuthenticationException(errorMessage, null, Name, ex);
        }
    }

    private void Guard(ReadOnlySpan<byte> serverMessage, Action<string> step) =>
        Guard<bool>(serverMessage, text =>
        {
            step(text);
            // Stryker disable once Boolean : the value only satisfies Guard<T>; this overload discards it
            return true;
        });

    private byte[] AnswerServerFirst(string serverFirst)
    {
        var attributes = ParseAttributes(serverFirst, "server-first");
        ThrowIfServerError(attributes);
        if (attributes.ContainsKey('m'))
        {
            throw Failed("The server requires a SCRAM extension (m=) this client does not implement.");
        }

        if (!attributes.TryGetValue('r', out var nonce) || nonce.Length == 0)
        {
            throw Failed("The server's SCRAM server-first message has no nonce (r=).");
        }

        if (!nonce.StartsWith(_clientNonce, StringComparison.Ordinal) || nonce.Length == _clientNonce.Length)
        {
            // A nonce not extending ours means a replayed or forged exchange.
            throw Failed("The server's SCRAM nonce does not extend the client nonce; the exchange may be replayed or tampered with.");
        }

        if (!nonce.All(IsPrintable))
        {
            throw Failed("The server's SCRAM nonce contains characters outside printable ASCII.");
        }

        if (!attributes.TryGetValue('s', out var saltText) || saltText.Length == 0)
        {
            throw Failed("The server's SCRAM server-first message has no salt (s=).");
        }

        var salt = FromBase64(saltText, "The server's SCRAM salt (s=) is not valid base64.");
        if (salt.Length == 0)
        {
            throw Failed("The server's SCRAM salt (s=) is empty.");
        }

        if (!attributes.TryGetValue('i', out var iterationText))
        {
            throw Failed("The server's SCRAM server-first message has no iteration count (i=).");
        }

        if (!int.TryParse(iterationText, NumberStyles.None, CultureInfo.InvariantCulture, out var iterations)
            || iterations < MinimumIterations || iterations > MaximumIterations)
        {
            throw Failed(
                $"The server's SCRAM iteration count '{Printable(iterationText)}' is outside the accepted range " +
                $"{MinimumIterations}..{MaximumIterations}; a low count makes the password cheap to brute-force, a huge one is a denial of service.");
        }

        _clientFinalWithoutProof = "c=" + Convert.ToBase64String(ChannelBindingInput()) + ",r=" + nonce;
        var authMessage = Encoding.UTF8.GetBytes(_clientFirstBare + "," + serverFirst + "," + _clientFinalWithoutProof);

        var saltedPassword = ScramSaltedPasswordCache.GetSaltedPassword(_hash, SaslPrep.Prepare(_credentials.Password), salt, iterations);
        var clientKey = _hash.Hmac(saltedPassword, "Client Key"u8);
        var storedKey = _hash.Hash(clientKey);
        var clientSignature = _hash.Hmac(storedKey, authMessage);
        var proof = new byte[clientKey.Length];
        for (var i = 0; i < proof.Length; i++)
        {
            proof[i] = (byte)(clientKey[i] ^ clientSignature[i]);
        }

        var serverKey = _hash.Hmac(saltedPassword, "Server Key"u8);
        _expectedServerSignature = _hash.Hmac(serverKey, authMessage);

        // Stryker disable Statement : wiping key material (the cache hands out copies) limits what a memory dump shows; no protocol result depends on it
        CryptographicOperations.ZeroMemory(saltedPassword);
        CryptographicOperations.ZeroMemory(clientKey);
        CryptographicOperations.ZeroMemory(storedKey);
        CryptographicOperations.ZeroMemory(serverKey);
        // Stryker restore Statement

        _clientFinal = Encoding.UTF8.GetBytes(_clientFinalWithoutProof + ",p=" + Convert.ToBase64String(proof));
        _state = State.AwaitingServerFinal;
        return (byte[])_clientFinal.Clone();
    }

    private void VerifyServerFinal(string serverFinal)
    {
        var attributes = ParseAttributes(serverFinal, "server-final");
        ThrowIfServerError(attributes);
        if (!attributes.TryGetValue('v', out var signatureText))
        {
            throw Failed("server signature mismatch: the server's final SCRAM message has no signature (v=).");
        }

        var signature = FromBase64(signatureText, "server signature mismatch: the server signature (v=) is not valid base64.");
        if (!CryptographicOperations.FixedTimeEquals(signature, _expectedServerSignature))
        {
            throw Failed("server signature mismatch: the server does not know the password (or the exchange was tampered with).");
        }

        _state = State.Verified;
    }

    private byte[] ChannelBindingInput()
    {
        var header = Encoding.ASCII.GetBytes(_gs2Header);
        return _binding is null ? header : [.. header, .. _binding.Data];
    }

    private Dictionary<char, string> ParseAttributes(string message, string what)
    {
        var attributes = new Dictionary<char, string>();
        if (message.Length == 0)
        {
            throw Failed($"The server's SCRAM {what} message is empty.");
        }

        foreach (var part in message.Split(','))
        {
            if (part.Length < 2 || part[1] != '=' || !char.IsAsciiLetter(part[0]))
            {
                throw Failed($"The server's SCRAM {what} message is malformed (expected attr=value pairs).");
            }

            if (!attributes.TryAdd(part[0], part[2..]))
            {
                throw Failed($"The server's SCRAM {what} message repeats the attribute '{part[0]}='.");
            }
        }

        return attributes;
    }

    private void ThrowIfServerError(Dictionary<char, string> attributes)
    {
        if (!attributes.TryGetValue('e', out var error))
        {
            return;
        }

        var shown = Printable(error);
        var hint = error.Contains("channel-binding", StringComparison.OrdinalIgnoreCase)
            ? " (channel binding failed: the server sees a different TLS channel or does not support this binding type)"
            : "";
        throw Failed($"The server rejected SCRAM authentication with the error '{shown}'{hint}.", shown.Length == 0 ? null : shown);
    }

    private XmppAuthenticationException Failed(string message, string? condition = null)
    {
        _state = State.Failed;
        return Fail(message, condition);
    }

    // RFC 5802 §5.1: the only two characters with meaning inside saslname.
    private static string EscapeUsername(string username) =>
        username.Replace("=", "=3D", StringComparison.Ordinal).Replace(",", "=2C", StringComparison.Ordinal);

    // Server text goes into exception messages: keep it short and free of control characters.
    private static string Printable(string serverText)
    {
        var kept = new string(serverText.Where(c => c is >= ' ' and <= '~').Take(MaxServerTextInMessages).ToArray());
        return kept;
    }

    private static bool IsPrintable(char c) => c is >= '!' and <= '~' and not ',';

    private static bool IsChannelBindingNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '-';
}
