using System.Net;
using System.Net.Sockets;
using Xmpp.Client.Transport;

namespace Xmpp.Client.Tests.Addressing;

public sealed class EndpointResolverTests
{
    private sealed class TableResolver(Dictionary<string, SrvRecord[]> table) : ISrvResolver
    {
        public List<string> Asked { get; } = [];

        public Task<IReadOnlyList<SrvRecord>> ResolveAsync(string name, CancellationToken cancellationToken)
        {
            Asked.Add(name);
            return Task.FromResult<IReadOnlyList<SrvRecord>>(table.TryGetValue(name, out var records) ? records : []);
        }
    }

    private static XmppClientOptions Options(SecureSocketOptions security, ISrvResolver resolver) =>
        new(Jid.Parse("alice@example.org"), "pw") { Security = security, SrvResolver = resolver };

    [Fact]
    public async Task Direct_tls_records_come_first_then_starttls_records_then_the_domain()
    {
        var resolver = new TableResolver(new()
        {
            ["_xmpps-client._tcp.example.org"] = [new SrvRecord("tls.example.org.", 443, 5, 0)],
            ["_xmpp-client._tcp.example.org"] = [new SrvRecord("b.example.org.", 5222, 20, 0), new SrvRecord("a.example.org.", 5222, 10, 0)],
        });
        var candidates = await EndpointResolver.CandidatesAsync(Options(SecureSocketOptions.StartTls, resolver), default);
        Assert.Equal(
            [new EndpointCandidate("tls.example.org", 443, true), new EndpointCandidate("a.example.org", 5222, false), new EndpointCandidate("b.example.org", 5222, false), new EndpointCandidate("example.org", 5222, false)],
            candidates);
    }

    [Fact]
    public async Task Plaintext_mode_never_uses_direct_tls_records()
    {
        var resolver = new TableResolver(new() { ["_xmpps-client._tcp.example.org"] = [new SrvRecord("tls.example.org", 5223, 0, 0)] });
        var candidates = await EndpointResolver.CandidatesAsync(Options(SecureSocketOptions.None, resolver), default);
        Assert.DoesNotContain("_xmpps-client._tcp.example.org", resolver.Asked);
        Assert.All(candidates, c => Assert.False(c.DirectTls));
    }

    [Fact]
    public async Task An_explicit_host_or_port_skips_srv()
    {
        var resolver = new TableResolver([]);
        var withHost = Options(SecureSocketOptions.DirectTls, resolver);
        withHost.ConnectHost = "10.0.0.5";
        Assert.Equal([new EndpointCandidate("10.0.0.5", 5223, true)], await EndpointResolver.CandidatesAsync(withHost, default));
        var withPort = Options(SecureSocketOptions.StartTls, resolver);
        withPort.Port = 5300;
        Assert.Equal([new EndpointCandidate("example.org", 5300, false)], await EndpointResolver.CandidatesAsync(withPort, default));
        Assert.Empty(resolver.Asked);
    }

    [Fact]
    public async Task A_dot_target_means_the_service_is_not_offered()
    {
        var resolver = new TableResolver(new() { ["_xmpp-client._tcp.example.org"] = [new SrvRecord(".", 0, 0, 0)] });
        var candidates = await EndpointResolver.CandidatesAsync(Options(SecureSocketOptions.StartTls, resolver), default);
        Assert.Equal([new EndpointCandidate("example.org", 5222, false)], candidates);
    }

    // A response for _xmpp-client._tcp.example.org with two SRV answers; the second target uses a compression pointer.
    private static byte[] TwoSrvAnswers() =>
    [
        0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
        12, .. "_xmpp-client"u8, 4, .. "_tcp"u8, 7, .. "example"u8, 3, .. "org"u8, 0, 0x00, 0x21, 0x00, 0x01,
        0xC0, 0x0C, 0x00, 0x21, 0x00, 0x01, 0x00, 0x00, 0x0E, 0x10, 0x00, 0x17,
        0x00, 0x0A, 0x00, 0x05, 0x14, 0x66, 3, .. "xmp"u8, 7, .. "example"u8, 3, .. "org"u8, 0,
        0xC0, 0x0C, 0x00, 0x21, 0x00, 0x01, 0x00, 0x00, 0x0E, 0x10, 0x00, 0x0C,
        0x00, 0x14, 0x00, 0x00, 0x14, 0x66, 3, .. "alt"u8, 0xC0, 0x1E,
    ];

    /// <summary>A name server on loopback that answers one query with <paramref name="response"/> (its id made to match).</summary>
    private static async Task AnswerOnceAsync(UdpClient server, byte[] response, CancellationToken cancellationToken)
    {
        var query = await server.ReceiveAsync(cancellationToken);
        response[0] = query.Buffer[0];
        response[1] = query.Buffer[1];
        await server.SendAsync(response, query.RemoteEndPoint, cancellationToken);
    }

    /// <summary>Answers every query with <paramref name="response"/> until cancelled; returns how many it answered.</summary>
    private static async Task<int> AnswerAllAsync(UdpClient server, byte[] response, CancellationToken cancellationToken)
    {
        var answered = 0;
        try
        {
            while (true)
            {
                await AnswerOnceAsync(server, response, cancellationToken);
                answered++;
            }
        }
        catch (OperationCanceledException)
        {
            return answered;
        }
    }

    [Fact]
    public async Task Srv_answer_with_compressed_names_is_read_from_the_name_server()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var server = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var answered = AnswerOnceAsync(server, TwoSrvAnswers(), timeout.Token);

        var records = await new DnsSrvResolver((IPEndPoint)server.Client.LocalEndPoint!).ResolveAsync("_xmpp-client._tcp.example.org", timeout.Token);

        await answered;
        Assert.Equal([new SrvRecord("xmp.example.org", 5222, 10, 5), new SrvRecord("alt.example.org", 5222, 20, 0)], records);
    }

    [Fact]
    public async Task Server_failure_gives_no_records_and_the_domain_fallback()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var server = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var servfail = TwoSrvAnswers()[..12];
        servfail[3] = 0x82; // RCODE 2, SERVFAIL
        servfail[5] = servfail[7] = 0; // no question echoed, no answers
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
        var answering = AnswerAllAsync(server, servfail, stop.Token);
        var resolver = new DnsSrvResolver((IPEndPoint)server.Client.LocalEndPoint!);

        var candidates = await EndpointResolver.CandidatesAsync(Options(SecureSocketOptions.DirectTls, resolver), timeout.Token);

        await stop.CancelAsync();
        Assert.True(await answering > 0);
        Assert.Equal([new EndpointCandidate("example.org", 5223, true)], candidates);
    }

    [Fact]
    public async Task Unreachable_name_server_gives_no_records()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        int port;
        using (var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
            port = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;

        var records = await new DnsSrvResolver(new IPEndPoint(IPAddress.Loopback, port)).ResolveAsync("_xmpp-client._tcp.example.org", timeout.Token);

        Assert.Empty(records);
    }

    [Fact]
    public void Weighted_order_keeps_priorities_strict()
    {
        var ordered = EndpointResolver.Order([new SrvRecord("c", 1, 2, 0), new SrvRecord("a", 1, 1, 60), new SrvRecord("b", 1, 1, 40)]).ToList();
        Assert.Equal("c", ordered[^1].Target);
        Assert.Equal(["a", "b"], ordered.Take(2).Select(r => r.Target).Order());
    }
}
