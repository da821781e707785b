using System.Net;
using DnsClient;

namespace Xmpp.Client.Transport;

/// <summary>
/// SRV lookups with DnsClient: the name servers of the system (/etc/resolv.conf on Linux, the adapters' DNS servers on
/// Windows) or the ones given. A lookup that fails in any way (no name server, timeout, server failure, NXDOMAIN,
/// malformed answer) returns no records, so the domain fallback applies: SRV only refines where to connect.
/// </summary>
public sealed class DnsSrvResolver : ISrvResolver
{
    private readonly Lazy<LookupClient?> client;

    /// <summary>Asks the system's name servers.</summary>
    public DnsSrvResolver()
        : this([])
    {
    }

    /// <summary>Asks <paramref name="nameServers"/>; none means the system's.</summary>
    public DnsSrvResolver(params IPEndPoint[] nameServers)
    {
        ArgumentNullException.ThrowIfNull(nameServers);
        // Created on first use, so that a run which needs no SRV lookup does not read the system's name servers.
        client = new Lazy<LookupClient?>(() => Create(nameServers), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public static DnsSrvResolver Instance { get; } = new();

    public async Task<IReadOnlyList<SrvRecord>> ResolveAsync(string name, CancellationToken cancellationToken)
    {
        if (client.Value is not { } lookup)
            return [];
        IDnsQueryResponse response;
        try
        {
            response = await lookup.QueryAsync(name, QueryType.SRV, QueryClass.IN, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DnsResponseException or System.Net.Sockets.SocketException)
        {
            return [];
        }
        if (response.HasError)
            return [];
        var records = new List<SrvRecord>();
        foreach (var srv in response.Answers.OfType<DnsClient.Protocol.SrvRecord>())
            records.Add(new SrvRecord(HostName(srv.Target.Value), srv.Port, srv.Priority, srv.Weight));
        return records;
    }

    // "xmpp.example.org." is "xmpp.example.org"; the root "." stays, meaning "no service here" (RFC 2782).
    private static string HostName(string target) => target.Length > 1 ? target.TrimEnd('.') : target;

    private static LookupClient? Create(IPEndPoint[] nameServers)
    {
        try
        {
            var options = nameServers.Length == 0
                ? new LookupClientOptions()
                : new LookupClientOptions(nameServers.Select(e => new NameServer(e)).ToArray());
            // Callers bound the whole lookup with the connect timeout; one retry covers a lost UDP datagram.
            options.Timeout = TimeSpan.FromSeconds(2);
            options.Retries = 1;
            options.ThrowDnsErrors = false;
            options.UseCache = true;
            return new LookupClient(options);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or System.Net.NetworkInformation.NetworkInformationException)
        {
            // No usable name server on this machine.
            return null;
        }
    }
}
