using System.Security.Cryptography;

namespace Xmpp.Client.Sasl;

/// <summary>The hash function of a SCRAM mechanism (RFC 5802 SHA-1, RFC 7677 SHA-256, SHA-512 from the IANA registry).</summary>
public enum ScramHash
{
    Sha1,
    Sha256,
    Sha512,
}

internal static class ScramHashInfo
{
    public static string MechanismName(this ScramHash hash) => hash switch
    {
        ScramHash.Sha1 => "SCRAM-SHA-1",
        ScramHash.Sha256 => "SCRAM-SHA-256",
        ScramHash.Sha512 => "SCRAM-SHA-512",
        _ => throw new ArgumentOutOfRangeException(nameof(hash)),
    };

    public static HashAlgorithmName AlgorithmName(this ScramHash hash) => hash switch
    {
        ScramHash.Sha1 => HashAlgorithmName.SHA1,
        ScramHash.Sha256 => HashAlgorithmName.SHA256,
        ScramHash.Sha512 => HashAlgorithmName.SHA512,
        _ => throw new ArgumentOutOfRangeException(nameof(hash)),
    };

    public static int OutputLength(this ScramHash hash) => hash switch
    {
        ScramHash.Sha1 => SHA1.HashSizeInBytes,
        ScramHash.Sha256 => SHA256.HashSizeInBytes,
        ScramHash.Sha512 => SHA512.HashSizeInBytes,
        _ => throw new ArgumentOutOfRangeException(nameof(hash)),
    };

    // SHA-1 is what SCRAM-SHA-1 is defined with (and RFC 6120's mandatory mechanism); it is only chosen
    // when the server offers nothing stronger. HMAC-SHA-1 is not affected by SHA-1 collision attacks.
#pragma warning disable CA5350
    public static byte[] Hmac(this ScramHash hash, ReadOnlySpan<byte> key, ReadOnlySpan<byte> data) => hash switch
    {
        ScramHash.Sha1 => HMACSHA1.HashData(key, data),
        ScramHash.Sha256 => HMACSHA256.HashData(key, data),
        ScramHash.Sha512 => HMACSHA512.HashData(key, data),
        _ => throw new ArgumentOutOfRangeException(nameof(hash)),
    };

    public static byte[] Hash(this ScramHash hash, ReadOnlySpan<byte> data) => hash switch
    {
        ScramHash.Sha1 => SHA1.HashData(data),
        ScramHash.Sha256 => SHA256.HashData(data),
        ScramHash.Sha512 => SHA512.HashData(data),
        _ => throw new ArgumentOutOfRangeException(nameof(hash)),
    };
#pragma warning restore CA5350
}
