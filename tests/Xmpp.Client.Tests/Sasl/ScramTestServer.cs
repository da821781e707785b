using System.Security.Cryptography;
using System.Text;
using Xmpp.Client.Sasl;

namespace Xmpp.Client.Tests.Sasl;

/// <summary>
/// The server side of SCRAM, written from RFC 5802 §3 independently of the client code, so a round trip
/// checks the client against the definition rather than against itself.
/// </summary>
internal sealed class ScramTestServer
{
    private readonly HashAlgorithmName _algorithm;
    private readonly byte[] _storedKey;
    private readonly byte[] _serverKey;
    private readonly byte[] _salt;
    private readonly int _iterations;
    private readonly string _serverNonceSuffix;
    private readonly byte[]? _channelBindingData;
    private string? _clientFirstBare;
    private string? _serverFirst;
    private string? _gs2Header;

    public ScramTestServer(ScramHash hash, string password, byte[] salt, int iterations, byte[]? channelBindingData = null)
    {
        _algorithm = hash switch
        {
            ScramHash.Sha1 => HashAlgorithmName.SHA1,
            ScramHash.Sha256 => HashAlgorithmName.SHA256,
            _ => HashAlgorithmName.SHA512,
        };
        var length = hash switch { ScramHash.Sha1 => 20, ScramHash.Sha256 => 32, _ => 64 };
        var saltedPassword = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, _algorithm, length);
        _storedKey = Digest(Mac(saltedPassword, "Client Key"));
        _serverKey = Mac(saltedPassword, "Server Key");
        _salt = salt;
        _iterations = iterations;
        _channelBindingData = channelBindingData;
        _serverNonceSuffix = "srv" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
    }

    public string? ReceivedGs2Header => _gs2Header;

    public string? ReceivedUsername { get; private set; }

    public string ServerFirst(byte[] clientFirstBytes)
    {
        var clientFirst = Encoding.UTF8.GetString(clientFirstBytes);
        // gs2-header is "flag,[authzid],": the bare message starts after the second comma.
        var second = clientFirst.IndexOf(',', clientFirst.IndexOf(',', StringComparison.Ordinal) + 1);
        _gs2Header = clientFirst[..(second + 1)];
        _clientFirstBare = clientFirst[(second + 1)..];
        var fields = _clientFirstBare.Split(',');
        ReceivedUsername = fields.Single(f => f.StartsWith("n=", StringComparison.Ordinal))[2..];
        var clientNonce = fields.Single(f => f.StartsWith("r=", StringComparison.Ordinal))[2..];
        _serverFirst = $"r={clientNonce}{_serverNonceSuffix},s={Convert.ToBase64String(_salt)},i={_iterations}";
        return _serverFirst;
    }

    /// <summary>Checks the client proof and channel binding; returns server-final or throws.</summary>
    public string ServerFinal(byte[] clientFinalBytes)
    {
        var clientFinal = Encoding.UTF8.GetString(clientFinalBytes);
        var proofAt = clientFinal.LastIndexOf(",p=", StringComparison.Ordinal);
        var withoutProof = clientFinal[..proofAt];
        var proof = Convert.FromBase64String(clientFinal[(proofAt + 3)..]);

        var expectedCbInput = Encoding.ASCII.GetBytes(_gs2Header!).Concat(_channelBindingData ?? []).ToArray();
        var c = withoutProof.Split(',').Single(f => f.StartsWith("c=", StringComparison.Ordinal))[2..];
        if (c != Convert.ToBase64String(expectedCbInput))
        {
            throw new InvalidOperationException("e=channel-bindings-dont-match");
        }

        var authMessage = _clientFirstBare + "," + _serverFirst + "," + withoutProof;
        var clientSignature = Mac(_storedKey, authMessage);
        var clientKey = proof.Zip(clientSignature, (a, b) => (byte)(a ^ b)).ToArray();
        if (!Digest(clientKey).SequenceEqual(_storedKey))
        {
            throw new InvalidOperationException("e=invalid-proof");
        }

        return "v=" + Convert.ToBase64String(Mac(_serverKey, authMessage));
    }

    private byte[] Mac(byte[] key, string text)
    {
        using var hmac = IncrementalHash.CreateHMAC(_algorithm, key);
        hmac.AppendData(Encoding.UTF8.GetBytes(text));
        return hmac.GetHashAndReset();
    }

    private byte[] Digest(byte[] data)
    {
        using var hash = IncrementalHash.CreateHash(_algorithm);
        hash.AppendData(data);
        return hash.GetHashAndReset();
    }
}
