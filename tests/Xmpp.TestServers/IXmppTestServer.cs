using System.Security.Cryptography.X509Certificates;

namespace Xmpp.TestServers;

/// <summary>What tests need of any private XMPP server, so one fixture serves Prosody and ejabberd alike.</summary>
public interface IXmppTestServer : IAsyncDisposable
{
    string Domain { get; }

    string MucDomain { get; }

    string Host { get; }

    int C2sPort { get; }

    int DirectTlsPort { get; }

    X509Certificate2 CaCertificate { get; }

    string CaCertificatePemPath { get; }

    Task RegisterAsync(string user, string password, CancellationToken ct = default);
}
