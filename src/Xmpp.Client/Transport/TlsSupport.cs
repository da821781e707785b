using System.Net.Security;
using System.Runtime.InteropServices;
using System.Security.Authentication;
using System.Security.Authentication.ExtendedProtection;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Xmpp.Client.Transport;

/// <summary>TLS client set-up shared by the TCP and WebSocket transports: validation policy, error mapping, channel binding.</summary>
internal static class TlsSupport
{
    public static SslClientAuthenticationOptions ClientOptions(XmppClientOptions options, CertificateCheck check, bool alpnXmppClient) => new()
    {
        // RFC 6120 §13.7.2.1 / RFC 7590: the certificate is checked against the JID's domain, not the host we connected to.
        TargetHost = options.Jid.Domain,
        EnabledSslProtocols = options.SslProtocols,
        RemoteCertificateValidationCallback = check.Validate,
        ApplicationProtocols = alpnXmppClient ? [new SslApplicationProtocol("xmpp-client")] : null,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
    };

    public static async Task<SslStream> AuthenticateAsync(Stream inner, XmppClientOptions options, bool alpn, CancellationToken cancellationToken)
    {
        var check = new CertificateCheck(options);
        var ssl = new SslStream(inner, leaveInnerStreamOpen: false);
        try
        {
            await ssl.AuthenticateAsClientAsync(ClientOptions(options, check, alpn), cancellationToken).ConfigureAwait(false);
            return ssl;
        }
        catch (AuthenticationException e)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw check.Failure is { } failure
                ? new XmppTlsException(failure, check.PolicyErrors, e)
                : new XmppTlsException($"The TLS handshake with the server for '{options.Jid.Domain}' failed: {e.Message}", SslPolicyErrors.None, e);
        }
        catch (IOException e)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            // A connection that breaks mid-handshake (a server restarting, a reset) says nothing about the certificate:
            // it is a connection failure, which may heal on retry, unlike a TLS refusal.
            throw new XmppConnectException(options.ConnectHost ?? options.Jid.Domain, options.Port ?? 0,
                $"The connection broke during the TLS handshake for '{options.Jid.Domain}': {e.Message}", e);
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public static TlsDetails Details(SslStream ssl) =>
        new(ssl.SslProtocol, type => ReadChannelBinding(ssl, type));

    private static byte[]? ReadChannelBinding(SslStream ssl, string type)
    {
        var kind = type switch
        {
            "tls-unique" => ChannelBindingKind.Unique,
            "tls-server-end-point" => ChannelBindingKind.Endpoint,
            _ => (ChannelBindingKind?)null, // tls-exporter (RFC 9266) is not exposed by SslStream
        };
        if (kind is null)
            return null;
        try
        {
            using var binding = ssl.TransportContext?.GetChannelBinding(kind.Value);
            if (binding is null || binding.IsInvalid || binding.Size < 32)
                return null;
            var raw = new byte[binding.Size];
            Marshal.Copy(binding.DangerousGetHandle(), raw, 0, raw.Length);
            // The handle mirrors SSPI's SEC_CHANNEL_BINDINGS: a 32-byte header whose last two fields give the length and
            // offset of the application data, which is "<type>:" followed by the binding bytes themselves.
            var length = BitConverter.ToInt32(raw, 24);
            var offset = BitConverter.ToInt32(raw, 28);
            if (offset < 32 || length <= 0 || offset + length > raw.Length)
                return null;
            var data = raw.AsSpan(offset, length);
            var prefix = Encoding.ASCII.GetBytes(type + ":");
            return data.StartsWith(prefix) ? data[prefix.Length..].ToArray() : data.ToArray();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return null; // the platform cannot give this type; SASL then avoids -PLUS
        }
    }
}

/// <summary>
/// Certificate validation: the system's verdict, optionally extended by private trust anchors, or off. The name checked
/// is the JID domain, except for a WebSocket endpoint on another host (<paramref name="endpointHost"/>), whose
/// certificate must name that host, as on the web; the domain vouched for it in its host-meta or the user named it.
/// </summary>
internal sealed class CertificateCheck(XmppClientOptions options, string? endpointHost = null)
{
    public string? Failure { get; private set; }

    public SslPolicyErrors PolicyErrors { get; private set; }

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (!options.VerifyCertificate || errors == SslPolicyErrors.None)
            return true;
        if (errors == SslPolicyErrors.RemoteCertificateChainErrors && certificate is not null && options.TrustedRoots is { Count: > 0 } roots
            && ChainsToPrivateRoot(certificate, chain, roots))
            return true;
        PolicyErrors = errors;
        var domain = endpointHost is null || string.Equals(endpointHost, options.Jid.Domain, StringComparison.OrdinalIgnoreCase)
            ? $"'{options.Jid.Domain}'"
            : $"'{endpointHost}' (the WebSocket endpoint for '{options.Jid.Domain}')";
        var subject = certificate?.Subject ?? "(none)";
        Failure = errors switch
        {
            _ when errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable) => $"The server for {domain} presented no certificate.",
            _ when errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) => $"The server's certificate ({subject}) is not valid for {domain}. If you connect by another host name, the certificate must still name the JID domain; use verify=no only for testing.",
            _ => $"The server's certificate ({subject}) for {domain} is not trusted: {DescribeChain(chain)}. Trust its CA, or use verify=no only for testing.",
        };
        return false;
    }

    private static bool ChainsToPrivateRoot(X509Certificate certificate, X509Chain? presented, X509Certificate2Collection roots)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        }
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }

    private static string DescribeChain(X509Chain? chain)
    {
        var statuses = chain?.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct().ToArray();
        return statuses is { Length: > 0 } ? string.Join("; ", statuses) : "the chain does not lead to a trusted root";
    }
}
