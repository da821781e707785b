namespace Xmpp.Client.Transport;

internal sealed record EndpointCandidate(string Host, int Port, bool DirectTls);

/// <summary>Where to connect: the explicit host, else SRV (XEP-0368 direct TLS first, then RFC 6120 §3.2), else the domain.</summary>
internal static class EndpointResolver
{
    public const int DefaultPort = 5222;
    public const int DefaultDirectTlsPort = 5223;

    public static async Task<IReadOnlyList<EndpointCandidate>> CandidatesAsync(XmppClientOptions options, CancellationToken cancellationToken)
    {
        var directTls = options.Security == SecureSocketOptions.DirectTls;
        var fallbackPort = options.Port ?? (directTls ? DefaultDirectTlsPort : DefaultPort);
        if (options.ConnectHost is { } host)
            return [new EndpointCandidate(host, fallbackPort, directTls)];

        var domain = options.Jid.Domain;
        var candidates = new List<EndpointCandidate>();
        // An explicit port means the user knows where the server listens: SRV would only second-guess it.
        if (options.Port is null && !domain.StartsWith('['))
        {
            var resolver = options.SrvResolver ?? DnsSrvResolver.Instance;
            if (options.Security != SecureSocketOptions.None)
                candidates.AddRange(await LookupAsync(resolver, "_xmpps-client._tcp." + domain, directTls: true, options, cancellationToken).ConfigureAwait(false));
            if (!directTls)
                candidates.AddRange(await LookupAsync(resolver, "_xmpp-client._tcp." + domain, directTls: false, options, cancellationToken).ConfigureAwait(false));
        }
        candidates.Add(new EndpointCandidate(domain, fallbackPort, directTls));
        return candidates;
    }

    private static async Task<IEnumerable<EndpointCandidate>> LookupAsync(ISrvResolver resolver, string name, bool directTls, XmppClientOptions options, CancellationToken cancellationToken)
    {
        IReadOnlyList<SrvRecord> records;
        try
        {
            records = await Timeouts.RunAsync(ct => resolver.ResolveAsync(name, ct), options.ConnectTimeout, $"the SRV lookup of {name}", cancellationToken).ConfigureAwait(false);
        }
        catch (XmppTimeoutException)
        {
            return []; // SRV is an optimisation; the domain fallback still applies
        }
        // RFC 2782: a single record with target "." means the service is decidedly not available here.
        if (records.Count == 1 && records[0].Target is "." or "")
            return [];
        return Order(records).Select(r => new EndpointCandidate(r.Target.TrimEnd('.'), r.Port, directTls));
    }

    /// <summary>RFC 2782 ordering: ascending priority, weighted random within a priority.</summary>
    internal static IEnumerable<SrvRecord> Order(IReadOnlyList<SrvRecord> records)
    {
        foreach (var group in records.Where(r => r.Target is not ("." or "")).GroupBy(r => r.Priority).OrderBy(g => g.Key))
        {
            var remaining = group.ToList();
            while (remaining.Count > 0)
            {
                var total = remaining.Sum(r => r.Weight);
                var pick = total == 0 ? 0 : Random.Shared.Next(total + 1);
                var chosen = remaining[0];
                var running = 0;
                foreach (var record in remaining)
                {
                    running += record.Weight;
                    if (running >= pick)
                    {
                        chosen = record;
                        break;
                    }
                }
                remaining.Remove(chosen);
                yield return chosen;
            }
        }
    }
}
