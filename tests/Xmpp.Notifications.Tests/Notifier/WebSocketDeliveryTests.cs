using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Xmpp.Client;

namespace Xmpp.Notifications.Tests.Notifier;

/// <summary>
/// <c>transport=websocket</c>, <c>wsurl=</c> and <c>+Header=</c> against a real Prosody (mod_websocket), with XEP-0156
/// host-meta and an authenticating relay served by Kestrel on loopback; delivery is checked by a slixmpp session over TCP.
/// </summary>
public sealed class WebSocketDeliveryTests(NotifierFixture server) : IClassFixture<NotifierFixture>
{
    private static string Unique(string text) => $"{text} {Guid.NewGuid():N}";

    private static string Escape(Uri uri) => Uri.EscapeDataString(uri.ToString());

    [Fact]
    public async Task Explicit_wss_endpoint_delivers_over_websocket()
    {
        await using var bob = await server.IndependentReceiverAsync("bob");
        var log = new RecordingLog();
        var body = Unique("over an explicit websocket");
        var result = await server.Notifier(o => o.ProtocolLogger = log)
            .NotifyAsync([server.Url("alice", "bob", $"wsurl={Escape(server.Server.SecureWebSocketUri)}")], [new Notification(null, body)], default);

        Assert.True(result.Success, result.Describe());
        Assert.Equal(TargetStatus.Delivered, Assert.Single(result.Urls[0].Targets).Status);
        await bob.WaitForMessageAsync(m => m.Body == body, TimeSpan.FromSeconds(10));
        // The session went to Prosody's HTTPS port as RFC 7395 framing, not to its c2s port.
        Assert.Equal([server.Server.HttpsPort], log.Connects.Select(c => c.Port).ToArray());
        Assert.Contains(log.Client, t => t.StartsWith("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Endpoint_discovered_from_host_meta_xrd_is_used_and_cached()
    {
        await using var front = await WebSocketFront.StartAsync(server.Server);
        front.HostMeta = WebSocketFront.Xrd("https://localhost/not-a-websocket", server.Server.SecureWebSocketUri.ToString());
        await using var bob = await server.IndependentReceiverAsync("bob");
        var notifier = server.Notifier(o => o.HostMetaBase = front.Base);
        var url = server.Url("alice", "bob", "transport=websocket");

        foreach (var text in new[] { "discovered once", "discovered twice" })
        {
            var body = Unique(text);
            var result = await notifier.NotifyAsync([url], [new Notification(null, body)], default);
            Assert.True(result.Success, result.Describe());
            await bob.WaitForMessageAsync(m => m.Body == body, TimeSpan.FromSeconds(10));
        }
        // Asked once per process: the second delivery used the cached endpoint.
        Assert.Equal(["/.well-known/host-meta"], front.Requests.ToArray());
    }

    [Fact]
    public async Task Endpoint_from_host_meta_json_when_the_xrd_is_missing()
    {
        await using var front = await WebSocketFront.StartAsync(server.Server);
        front.HostMetaJson = WebSocketFront.Jrd(front.WebSocketUri.ToString());
        await using var bob = await server.IndependentReceiverAsync("bob");
        var body = Unique("discovered from json");
        var result = await server.Notifier(o => o.HostMetaBase = front.Base)
            .NotifyAsync([server.Url("alice", "bob", "transport=websocket")], [new Notification(null, body)], default);

        Assert.True(result.Success, result.Describe());
        await bob.WaitForMessageAsync(m => m.Body == body, TimeSpan.FromSeconds(10));
        Assert.Equal(["/.well-known/host-meta", "/.well-known/host-meta.json", "/xmpp-websocket"], front.Requests.ToArray());
        Assert.Single(front.Upgrades);
    }

    [Fact]
    public async Task Headers_and_cookies_reach_the_upgrade_and_are_never_shown()
    {
        var token = "tok-" + Guid.NewGuid().ToString("N");
        var cookie = "ck-" + Guid.NewGuid().ToString("N");
        await using var front = await WebSocketFront.StartAsync(server.Server);
        front.RequiredHeader = ("X-Token", token);
        await using var bob = await server.IndependentReceiverAsync("bob");
        var log = new RecordingLog();
        var logger = new ListLogger();
        var body = Unique("through an authenticating proxy");
        var url = server.Url("alice", "bob", $"wsurl={Escape(front.WebSocketUri)}&+X-Token={token}&+Cookie=session%3D{cookie}");

        var result = await new XmppNotifier(logger, new XmppNotifierOptions
        {
            ConfigureClient = o =>
            {
                o.TrustedRoots = [server.Server.CaCertificate];
                o.ProtocolLogger = log;
            },
        }).NotifyAsync([url], [new Notification(null, body)], default);

        Assert.True(result.Success, result.Describe());
        await bob.WaitForMessageAsync(m => m.Body == body, TimeSpan.FromSeconds(10));
        var upgrade = Assert.Single(front.Upgrades);
        Assert.Equal(token, upgrade["X-Token"]);
        Assert.Equal("session=" + cookie, upgrade["Cookie"]);
        Assert.Equal("xmpp", upgrade["Sec-WebSocket-Protocol"]);

        // Without the header, the proxy refuses the upgrade: a typed connection failure that shows no secret.
        var refused = await server.Notifier(o => o.ProtocolLogger = log)
            .NotifyAsync([server.Url("alice", "bob", $"wsurl={Escape(front.WebSocketUri)}&+X-Token=wrong-{token}")], [new Notification(null, body)], default);
        Assert.False(refused.Success);
        Assert.Equal(NotifyFailureKind.Connection, refused.Urls[0].Failure);
        Assert.Contains("401", refused.Urls[0].Error, StringComparison.Ordinal);

        var shown = string.Join("\n", [result.Describe(), refused.Describe(), result.Urls[0].Url, refused.Urls[0].Url, refused.Urls[0].Error ?? "",
            .. logger.Lines, .. log.Client, .. log.Server]);
        Assert.DoesNotContain(token, shown, StringComparison.Ordinal);
        Assert.DoesNotContain(cookie, shown, StringComparison.Ordinal);
        Assert.Contains("+X-Token=****", result.Urls[0].Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Discovery_failures_are_typed_and_say_what_to_do()
    {
        await using var front = await WebSocketFront.StartAsync(server.Server);

        // Nothing published: both documents 404.
        var missing = await DiscoverAsync(front, "rto=2");
        Assert.Equal(DiscoveryFailure.NotPublished, missing.Reason);
        Assert.Contains("/.well-known/host-meta answered 404", missing.Message, StringComparison.Ordinal);
        Assert.Contains("wsurl=", missing.Message, StringComparison.Ordinal);

        // A DTD (entity expansion) is refused, never expanded.
        front.HostMeta = WebSocketFront.Text("application/xrd+xml",
            "<?xml version='1.0'?><!DOCTYPE XRD [<!ENTITY a 'wss://evil.example/'>]><XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'><Link rel='urn:xmpp:alt-connections:websocket' href='&a;'/></XRD>");
        Assert.Equal(DiscoveryFailure.InvalidDocument, (await DiscoverAsync(front, "rto=2")).Reason);

        // Larger than the limit (64 KiB).
        front.HostMeta = WebSocketFront.Text("application/xrd+xml", "<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>" + new string(' ', 70_000) + "</XRD>");
        var large = await DiscoverAsync(front, "rto=2");
        Assert.Equal(DiscoveryFailure.InvalidDocument, large.Reason);
        Assert.Contains("larger than", large.Message, StringComparison.Ordinal);

        // JSON that is not JSON.
        front.HostMeta = null;
        front.HostMetaJson = WebSocketFront.Text("application/json", "{\"links\": [");
        Assert.Equal(DiscoveryFailure.InvalidDocument, (await DiscoverAsync(front, "rto=2")).Reason);

        // Only an unencrypted endpoint while the URL asks for TLS.
        front.HostMetaJson = WebSocketFront.Jrd($"ws://127.0.0.1:{server.Server.HttpPort}/xmpp-websocket");
        var plain = await DiscoverAsync(front, "rto=2");
        Assert.Equal(DiscoveryFailure.NoWebSocketLink, plain.Reason);
        Assert.Contains("mode=none", plain.Message, StringComparison.Ordinal);

        // A server that never answers: bounded by cto + rto.
        front.HostMeta = async context => await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
        var slow = await DiscoverAsync(front, "cto=1&rto=1");
        Assert.Equal(DiscoveryFailure.Timeout, slow.Reason);

        // The notifier reports them as typed failures of the URL; nothing is sent.
        front.HostMeta = null;
        front.HostMetaJson = null;
        var result = await server.Notifier(o => o.HostMetaBase = front.Base)
            .NotifyAsync([server.Url("alice", "bob", "transport=websocket&rto=2")], [new Notification(null, "never sent")], default);
        Assert.False(result.Success);
        Assert.Equal(NotifyFailureKind.Connection, result.Urls[0].Failure);
        Assert.Equal(TargetStatus.NotSent, Assert.Single(result.Urls[0].Targets).Status);
        Assert.Contains("XEP-0156", result.Urls[0].Error, StringComparison.Ordinal);
        Assert.DoesNotContain("/xmpp-websocket", front.Requests);
    }

    [Fact]
    public async Task Host_meta_from_a_server_not_trusted_for_the_domain_is_refused()
    {
        using var other = TestCertificates.Create("other.example");
        await using var front = await WebSocketFront.StartAsync(server.Server, other.ServerCertificate);
        front.HostMeta = WebSocketFront.Xrd("wss://evil.example/xmpp-websocket");
        var result = await server.Notifier(o => o.HostMetaBase = front.Base)
            .NotifyAsync([server.Url("alice", "bob", "transport=websocket")], [new Notification(null, "never sent")], default);
        Assert.False(result.Success);
        Assert.Equal(NotifyFailureKind.Tls, result.Urls[0].Failure);
        Assert.Contains("WebSocket discovery", result.Urls[0].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wss_endpoint_whose_certificate_does_not_chain_to_a_trusted_root_is_refused()
    {
        // The endpoint's certificate is checked under the same rules as the domain's: without the test CA it fails.
        var result = await new XmppNotifier().NotifyAsync(
            [server.Url("alice", "bob", $"wsurl={Escape(server.Server.SecureWebSocketUri)}")], [new Notification(null, "never sent")], default);
        Assert.False(result.Success);
        Assert.Equal(NotifyFailureKind.Tls, result.Urls[0].Failure);
        Assert.Contains("WebSocket endpoint", result.Urls[0].Error, StringComparison.Ordinal);
    }

    private async Task<XmppDiscoveryException> DiscoverAsync(WebSocketFront front, string query)
    {
        var options = Xmpp.Notifications.Apprise.AppriseXmppUrl.Parse(server.Url("alice", "bob", "transport=websocket&" + query)).ToClientOptions();
        options.TrustedRoots = [server.Server.CaCertificate];
        options.HostMetaBase = front.Base;
        await using var client = new XmppClient(options);
        return await Assert.ThrowsAsync<XmppDiscoveryException>(() => client.ConnectAsync());
    }

    private sealed class RecordingLog : IProtocolLogger
    {
        public ConcurrentQueue<(string Host, int Port)> Connects { get; } = new();

        public ConcurrentQueue<string> Client { get; } = new();

        public ConcurrentQueue<string> Server { get; } = new();

        public void LogConnect(string host, int port, SecureSocketOptions security) => Connects.Enqueue((host, port));

        public void LogClient(string text) => Client.Enqueue(text);

        public void LogServer(string text) => Server.Enqueue(text);
    }

    private sealed class ListLogger : ILogger
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Enqueue(formatter(state, exception) + (exception is null ? "" : "\n" + exception));
    }
}

/// <summary>A Prosody that serves its own host-meta (a static file through mod_http_files) on its HTTPS port.</summary>
public sealed class HostMetaProsodyFixture : NotifierFixture, IDisposable
{
    public void Dispose() => Directory.Delete(FilesDirectory, recursive: true);

    public string FilesDirectory { get; } = Directory.CreateTempSubdirectory("xmpp-host-meta-").FullName;

    protected override Xmpp.TestServers.ProsodyOptions? ServerOptions => new() { HttpFilesDirectory = FilesDirectory };

    /// <summary>Writes <c>.well-known/host-meta</c>; Prosody reads it from disk on each request.</summary>
    public void PublishHostMeta(string xrd)
    {
        Directory.CreateDirectory(Path.Combine(FilesDirectory, ".well-known"));
        File.WriteAllText(Path.Combine(FilesDirectory, ".well-known", "host-meta"), xrd);
    }
}

/// <summary>Discovery end to end on Prosody alone: its HTTPS port serves host-meta and the WebSocket it points to.</summary>
public sealed class ProsodyHostMetaTests(HostMetaProsodyFixture server) : IClassFixture<HostMetaProsodyFixture>
{
    [Fact]
    public async Task Host_meta_published_by_prosody_leads_to_its_websocket()
    {
        var endpoint = $"wss://localhost:{server.Server.HttpsPort}/xmpp-websocket";
        server.PublishHostMeta("<?xml version='1.0' encoding='utf-8'?>\n<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>"
            + $"<Link rel='urn:xmpp:alt-connections:websocket' href='{endpoint}'/></XRD>\n");
        await using var bob = await server.IndependentReceiverAsync("bob");
        var connects = new ConcurrentQueue<int>();
        var body = $"discovered on prosody {Guid.NewGuid():N}";
        var result = await server.Notifier(o =>
        {
            o.HostMetaBase = new Uri($"https://localhost:{server.Server.HttpsPort}/");
            o.ProtocolLogger = new PortLog(connects);
        }).NotifyAsync([server.Url("alice", "bob", "transport=websocket")], [new Notification(null, body)], default);

        Assert.True(result.Success, result.Describe());
        await bob.WaitForMessageAsync(m => m.Body == body, TimeSpan.FromSeconds(10));
        Assert.Equal([server.Server.HttpsPort], connects.ToArray());
    }

    private sealed class PortLog(ConcurrentQueue<int> ports) : IProtocolLogger
    {
        public void LogConnect(string host, int port, SecureSocketOptions security) => ports.Enqueue(port);

        public void LogClient(string text)
        {
        }

        public void LogServer(string text)
        {
        }
    }
}
