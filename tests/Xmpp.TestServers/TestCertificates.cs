using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Xmpp.TestServers;

/// <summary>
/// A throw-away CA and a server certificate signed by it, generated in memory, so tests can validate
/// TLS for real (chain and host name) instead of switching verification off.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    private static readonly ConcurrentDictionary<string, Lazy<TestCertificates>> SharedByDomain = new(StringComparer.OrdinalIgnoreCase);

    private TestCertificates(string domain, X509Certificate2 ca, X509Certificate2 server, string serverKeyPem, string directory)
    {
        Domain = domain;
        CaCertificate = ca;
        ServerCertificate = server;
        ServerKeyPem = serverKeyPem;
        Directory = directory;
        CaPem = ca.ExportCertificatePem() + "\n";
        ServerCertificateChainPem = server.ExportCertificatePem() + "\n" + CaPem;
        System.IO.Directory.CreateDirectory(directory);
        CaPemPath = Path.Combine(directory, "ca.pem");
        File.WriteAllText(CaPemPath, CaPem);
    }

    public string Domain { get; }

    /// <summary>The CA certificate (public part only is needed by clients).</summary>
    public X509Certificate2 CaCertificate { get; }

    /// <summary>The server certificate with its private key.</summary>
    public X509Certificate2 ServerCertificate { get; }

    public string CaPem { get; }

    /// <summary>Server certificate followed by the CA certificate.</summary>
    public string ServerCertificateChainPem { get; }

    /// <summary>Unencrypted PKCS#8 private key of the server certificate.</summary>
    public string ServerKeyPem { get; }

    /// <summary>Temporary directory holding <see cref="CaPemPath"/>.</summary>
    public string Directory { get; }

    public string CaPemPath { get; }

    /// <summary>One CA and server certificate per domain per test process, so every server of a domain shares a trust anchor.</summary>
    public static TestCertificates ForDomain(string domain) =>
        SharedByDomain.GetOrAdd(domain, d => new Lazy<TestCertificates>(() => Create(d))).Value;

    /// <summary>Creates a new CA and server certificate (ECDSA P-256 by default; RSA 2048 when <paramref name="rsa"/> is set).</summary>
    public static TestCertificates Create(string domain, bool rsa = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(domain);
        var notBefore = DateTimeOffset.UtcNow.AddDays(-1);
        var notAfter = DateTimeOffset.UtcNow.AddDays(30);

        using var caKey = NewKey(rsa);
        var caRequest = NewRequest($"CN=Xmpp.TestServers CA {domain}", caKey);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var ca = caRequest.CreateSelfSigned(notBefore, notAfter);

        using var serverKey = NewKey(rsa);
        var serverRequest = NewRequest($"CN={domain}", serverKey);
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(
            rsa ? X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment : X509KeyUsageFlags.DigitalSignature, true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        serverRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(serverRequest.PublicKey, false));
        serverRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        serverRequest.CertificateExtensions.Add(SubjectAlternativeNames(domain));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var serverPublic = serverRequest.Create(ca, notBefore, notAfter, serial);
        var server = serverKey is RSA r ? serverPublic.CopyWithPrivateKey(r) : serverPublic.CopyWithPrivateKey((ECDsa)serverKey);
        var keyPem = serverKey.ExportPkcs8PrivateKeyPem() + "\n";

        var directory = Path.Combine(Path.GetTempPath(), "xmpp-testcerts-" + Guid.NewGuid().ToString("N")[..12]);
        return new TestCertificates(domain, ca, server, keyPem, directory);
    }

    /// <summary>A self-signed certificate for <paramref name="domain"/> that no <see cref="TestCertificates"/> CA vouches for.</summary>
    public static X509Certificate2 CreateUntrustedSelfSigned(string domain)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={domain}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(SubjectAlternativeNames(domain));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    /// <summary>Writes <c>server.crt</c> (chain), <c>server.key</c>, <c>server.pem</c> (chain + key) and <c>ca.pem</c> into <paramref name="directory"/>.</summary>
    public void WritePemFiles(string directory)
    {
        System.IO.Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "server.crt"), ServerCertificateChainPem);
        WritePrivate(Path.Combine(directory, "server.key"), ServerKeyPem);
        WritePrivate(Path.Combine(directory, "server.pem"), ServerCertificateChainPem + ServerKeyPem);
        File.WriteAllText(Path.Combine(directory, "ca.pem"), CaPem);
    }

    /// <summary>Validates a server certificate against this CA only (not the system store), including the host name.</summary>
    public bool Validate(X509Certificate? certificate, string hostName)
    {
        if (certificate is null)
        {
            return false;
        }

        using var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(CaCertificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(presented) && presented.MatchesHostname(hostName, allowWildcards: true, allowCommonName: false);
    }

    /// <summary>A callback for <see cref="SslStream"/> that trusts exactly this CA.</summary>
    public RemoteCertificateValidationCallback ValidationCallback(string hostName) =>
        (_, certificate, _, _) => Validate(certificate, hostName);

    public void Dispose()
    {
        CaCertificate.Dispose();
        ServerCertificate.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
    }

    private static AsymmetricAlgorithm NewKey(bool rsa) =>
        rsa ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP256);

    private static CertificateRequest NewRequest(string subject, AsymmetricAlgorithm key) => key switch
    {
        RSA rsa => new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        ECDsa ecdsa => new CertificateRequest(subject, ecdsa, HashAlgorithmName.SHA256),
        _ => throw new NotSupportedException(key.GetType().Name),
    };

    private static X509Extension SubjectAlternativeNames(string domain)
    {
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(domain);
        san.AddDnsName("*." + domain);
        san.AddDnsName("conference." + domain);
        if (!string.Equals(domain, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            san.AddDnsName("localhost");
        }

        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        return san.Build();
    }

    private static void WritePrivate(string path, string content)
    {
        File.WriteAllText(path, content);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
