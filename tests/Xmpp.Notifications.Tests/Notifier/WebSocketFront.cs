using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Xmpp.Notifications.Tests.Notifier;

/// <summary>
/// A loopback HTTPS server (Kestrel, the test CA's certificate for localhost) in front of a real Prosody: it serves
/// XEP-0156 host-meta documents chosen by the test, and relays <c>/xmpp-websocket</c> frame by frame to Prosody's
/// own WebSocket endpoint, recording the headers of each upgrade request (what a proxy that authenticates the
/// upgrade with a token or cookie would see).
/// </summary>
public sealed class WebSocketFront : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Uri _upstream;
    private readonly X509Certificate2 _ca;

    private WebSocketFront(WebApplication app, Uri upstream, X509Certificate2 ca)
    {
        _app = app;
        _upstream = upstream;
        _ca = ca;
    }

    public int Port { get; private set; }

    /// <summary>Where a client looks for host-meta (instead of https://{domain}/ on port 443).</summary>
    public Uri Base => new($"https://localhost:{Port}/");

    /// <summary>The relayed WebSocket endpoint.</summary>
    public Uri WebSocketUri => new($"wss://localhost:{Port}/xmpp-websocket");

    /// <summary>Answers <c>/.well-known/host-meta</c>; null gives 404.</summary>
    public Func<HttpContext, Task>? HostMeta { get; set; }

    /// <summary>Answers <c>/.well-known/host-meta.json</c>; null gives 404.</summary>
    public Func<HttpContext, Task>? HostMetaJson { get; set; }

    /// <summary>When set, an upgrade without this header and value is refused with 401, as an authenticating proxy would.</summary>
    public (string Name, string Value)? RequiredHeader { get; set; }

    /// <summary>Paths requested, in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>The headers of every WebSocket upgrade request.</summary>
    public ConcurrentQueue<Dictionary<string, string>> Upgrades { get; } = new();

    /// <summary>Starts on a free loopback port; <paramref name="certificate"/> replaces the test CA's certificate for the domain.</summary>
    public static async Task<WebSocketFront> StartAsync(ProsodyServer prosody, X509Certificate2? certificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        certificate ??= prosody.Certificates.ServerCertificate;
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(certificate)));
        var app = builder.Build();
        var front = new WebSocketFront(app, prosody.SecureWebSocketUri, prosody.CaCertificate);
        app.UseWebSockets();
        app.Run(front.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        front.Port = new Uri(address).Port;
        return front;
    }

    /// <summary>An XRD document (RFC 6415) with the given WebSocket links.</summary>
    public static Func<HttpContext, Task> Xrd(params string[] hrefs) => context =>
    {
        context.Response.ContentType = "application/xrd+xml";
        return context.Response.WriteAsync("<?xml version='1.0' encoding='utf-8'?>\n<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>"
            + "<Link rel='urn:xmpp:alt-connections:xbosh' href='https://localhost/http-bind'/>"
            + string.Concat(hrefs.Select(h => $"<Link rel='urn:xmpp:alt-connections:websocket' href='{h}'/>")) + "</XRD>");
    };

    /// <summary>A JRD document with the given WebSocket links.</summary>
    public static Func<HttpContext, Task> Jrd(params string[] hrefs) => context =>
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync("{\"links\":[" + string.Join(",", hrefs.Select(h => $"{{\"rel\":\"urn:xmpp:alt-connections:websocket\",\"href\":\"{h}\"}}")) + "]}");
    };

    public static Func<HttpContext, Task> Text(string contentType, string body) => context =>
    {
        context.Response.ContentType = contentType;
        return context.Response.WriteAsync(body);
    };

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        Requests.Enqueue(path);
        var handler = path switch
        {
            "/.well-known/host-meta" => HostMeta,
            "/.well-known/host-meta.json" => HostMetaJson,
            "/xmpp-websocket" => RelayAsync,
            _ => null,
        };
        if (handler is null)
        {
            context.Response.StatusCode = 404;
            return;
        }
        await handler(context);
    }

    private async Task RelayAsync(HttpContext context)
    {
        Upgrades.Enqueue(context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase));
        if (RequiredHeader is { } required && context.Request.Headers[required.Name] != required.Value)
        {
            context.Response.StatusCode = 401;
            return;
        }
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = 400;
            return;
        }
        using var upstream = new ClientWebSocket();
        upstream.Options.AddSubProtocol("xmpp");
        // Prosody requires encryption, so the relay speaks wss:// to it as well, trusting the test CA.
        upstream.Options.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(_ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            if (certificate is null)
                return false;
            using var leaf = new X509Certificate2(certificate);
            return chain.Build(leaf);
        };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await upstream.ConnectAsync(_upstream, timeout.Token);
        using var downstream = await context.WebSockets.AcceptWebSocketAsync("xmpp");
        var up = PumpAsync(downstream, upstream, timeout.Token);
        var down = PumpAsync(upstream, downstream, timeout.Token);
        await Task.WhenAny(up, down);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await Task.WhenAll(up, down);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // One side went away; the relay ends with it.
        }
    }

    private static async Task PumpAsync(WebSocket from, WebSocket to, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var result = await from.ReceiveAsync(buffer, cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (to.State == WebSocketState.Open || to.State == WebSocketState.CloseReceived)
                        await to.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken);
                    return;
                }
                await to.SendAsync(buffer.AsMemory(0, result.Count), result.MessageType, result.EndOfMessage, cancellationToken);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            if (to.State == WebSocketState.Open)
                to.Abort();
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }
}
