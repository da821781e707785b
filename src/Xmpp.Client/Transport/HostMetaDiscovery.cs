using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Xmpp.Client.Xml;

namespace Xmpp.Client.Transport;

/// <summary>
/// XEP-0156 discovery of the RFC 7395 WebSocket endpoint: <c>/.well-known/host-meta</c> (XRD, RFC 6415), then
/// <c>/.well-known/host-meta.json</c>, fetched over HTTPS from the JID domain. The HTTPS certificate is what makes the
/// answer trustworthy, so it is checked against the JID domain under the session's own rules (trusted roots,
/// <c>verify</c>, TLS versions). Bounded: one deadline (connect plus response timeout) for both documents, at most
/// <see cref="MaxDocumentBytes"/> each, no DTDs, at most three redirects (never from https to http).
/// Successful answers are kept per process for <see cref="CacheLifetime"/>: a function app or a CLI loop asks once.
/// </summary>
internal static class HostMetaDiscovery
{
    public const string WebSocketRel = "urn:xmpp:alt-connections:websocket";
    public const int MaxDocumentBytes = 64 * 1024;
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromMinutes(10);
    private static readonly XNamespace Xrd = "http://docs.oasis-open.org/ns/xri/xrd-1.0";
    private static readonly ConcurrentDictionary<string, (Uri Endpoint, DateTimeOffset Expires)> Cache = new(StringComparer.Ordinal);

    /// <summary>Where the documents live: <see cref="XmppClientOptions.HostMetaBase"/>, or <c>https://{JID domain}/</c>.</summary>
    public static Uri BaseFor(XmppClientOptions options) => options.HostMetaBase ?? new Uri($"https://{options.Jid.Domain}/");

    public static async Task<Uri> DiscoverAsync(XmppClientOptions options, CancellationToken cancellationToken)
    {
        var baseUri = BaseFor(options);
        var allowPlain = options.Security == SecureSocketOptions.None;
        var key = $"{baseUri}|{allowPlain}|{options.VerifyCertificate}";
        if (Cache.TryGetValue(key, out var cached) && cached.Expires > DateTimeOffset.UtcNow)
            return cached.Endpoint;

        var domain = options.Jid.Domain;
        var timeout = options.ConnectTimeout + options.ResponseTimeout;
        var check = new CertificateCheck(options);
        using var handler = new SocketsHttpHandler
        {
            ConnectTimeout = options.ConnectTimeout,
            AllowAutoRedirect = true,
            MaxAutomaticRedirections = 3,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            MaxResponseHeadersLength = 16,
            SslOptions =
            {
                RemoteCertificateValidationCallback = check.Validate,
                EnabledSslProtocols = options.SslProtocols,
                CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
            },
        };
        using var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);

        var attempts = new List<string>();
        var reasons = new List<DiscoveryFailure>();
        foreach (var (path, json) in new[] { (".well-known/host-meta", false), (".well-known/host-meta.json", true) })
        {
            var uri = new Uri(baseUri, path);
            try
            {
                var (status, body) = await FetchAsync(http, uri, json, deadline.Token).ConfigureAwait(false);
                if (status is HttpStatusCode.NotFound or HttpStatusCode.Gone)
                {
                    attempts.Add($"{uri} answered {(int)status}");
                    reasons.Add(DiscoveryFailure.NotPublished);
                    continue;
                }
                if ((int)status is < 200 or > 299)
                {
                    attempts.Add($"{uri} answered {(int)status}");
                    reasons.Add(DiscoveryFailure.Unreachable);
                    continue;
                }
                var links = json ? ParseJson(body!) : ParseXrd(body!);
                if (Choose(links, allowPlain) is { } endpoint)
                {
                    Cache[key] = (endpoint, DateTimeOffset.UtcNow + CacheLifetime);
                    return endpoint;
                }
                attempts.Add(links.Count == 0
                    ? $"{uri} has no {WebSocketRel} link"
                    : $"{uri} links only to {string.Join(", ", links.Select(Describe))}, which {(allowPlain ? "are not ws:// or wss:// addresses" : "are not wss:// (unencrypted ws:// only with mode=none)")}");
                reasons.Add(DiscoveryFailure.NoWebSocketLink);
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw new XmppDiscoveryException(domain, DiscoveryFailure.Timeout,
                    $"Timed out after {timeout.TotalSeconds:0.###} s discovering the WebSocket endpoint of '{domain}' at {uri} (XEP-0156). Give the endpoint explicitly (wsurl=) or raise cto/rto.", e);
            }
            catch (HttpRequestException e) when (check.Failure is { } failure)
            {
                throw new XmppTlsException($"{failure} (while fetching {uri} for WebSocket discovery)", check.PolicyErrors, e);
            }
            catch (HttpRequestException e)
            {
                attempts.Add($"{uri} could not be fetched: {Flatten(e)}");
                reasons.Add(DiscoveryFailure.Unreachable);
            }
            catch (InvalidDocumentException e)
            {
                attempts.Add($"{uri} {e.Message}");
                reasons.Add(DiscoveryFailure.InvalidDocument);
            }
        }

        // The most telling reason wins: a link that cannot be used or a broken document says more than a missing one.
        var reason = new[] { DiscoveryFailure.NoWebSocketLink, DiscoveryFailure.InvalidDocument, DiscoveryFailure.Unreachable }
            .FirstOrDefault(reasons.Contains, DiscoveryFailure.NotPublished);
        throw new XmppDiscoveryException(domain, reason,
            $"No WebSocket endpoint found for '{domain}' (XEP-0156): {string.Join("; ", attempts)}. Publish a {WebSocketRel} link in host-meta, or give the endpoint explicitly (wsurl=wss://…).");
    }

    /// <summary>Forgets cached endpoints (tests).</summary>
    internal static void ClearCache() => Cache.Clear();

    private static async Task<(HttpStatusCode Status, byte[]? Body)> FetchAsync(HttpClient http, Uri uri, bool json, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(json ? "application/json" : "application/xrd+xml"));
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            return (response.StatusCode, null);
        if (response.Content.Headers.ContentLength > MaxDocumentBytes)
            throw new InvalidDocumentException($"is larger than {MaxDocumentBytes} bytes");
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new byte[MaxDocumentBytes + 1];
        var length = 0;
        while (length < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (read == 0)
                break;
            length += read;
        }
        if (length > MaxDocumentBytes)
            throw new InvalidDocumentException($"is larger than {MaxDocumentBytes} bytes");
        return (response.StatusCode, buffer[..length]);
    }

    /// <summary>The WebSocket hrefs of an XRD document (RFC 6415), parsed with the client's XML rules (no DTD, no entities).</summary>
    internal static IReadOnlyList<string> ParseXrd(byte[] body)
    {
        XElement root;
        try
        {
            root = XmlFragment.ParseElement(Text(body), MaxDocumentBytes);
        }
        catch (XmppProtocolException e)
        {
            throw new InvalidDocumentException("is not acceptable XRD: " + e.Message);
        }
        if (root.Name != Xrd + "XRD")
            throw new InvalidDocumentException($"is not an XRD document (root <{root.Name.LocalName}/> in '{root.Name.NamespaceName}')");
        return root.Elements(Xrd + "Link")
            .Where(l => (string?)l.Attribute("rel") == WebSocketRel)
            .Select(l => (string?)l.Attribute("href"))
            .OfType<string>()
            .ToList();
    }

    /// <summary>The WebSocket hrefs of a JRD document (<c>{"links":[{"rel":…,"href":…}]}</c>).</summary>
    internal static IReadOnlyList<string> ParseJson(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 16 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDocumentException("is not a JSON object");
            if (!document.RootElement.TryGetProperty("links", out var links) || links.ValueKind != JsonValueKind.Array)
                return [];
            var result = new List<string>();
            foreach (var link in links.EnumerateArray())
            {
                if (link.ValueKind == JsonValueKind.Object
                    && link.TryGetProperty("rel", out var rel) && rel.ValueKind == JsonValueKind.String && rel.GetString() == WebSocketRel
                    && link.TryGetProperty("href", out var href) && href.ValueKind == JsonValueKind.String)
                    result.Add(href.GetString()!);
            }
            return result;
        }
        catch (JsonException e)
        {
            throw new InvalidDocumentException("is not valid JSON: " + e.Message);
        }
    }

    /// <summary>The first wss:// link; a ws:// one only when the session allows cleartext (mode none).</summary>
    internal static Uri? Choose(IReadOnlyList<string> links, bool allowPlain)
    {
        var uris = links.Select(l => Uri.TryCreate(l.Trim(), UriKind.Absolute, out var u) ? u : null).OfType<Uri>()
            .Where(u => string.IsNullOrEmpty(u.UserInfo) && string.IsNullOrEmpty(u.Fragment)).ToList();
        return uris.FirstOrDefault(u => u.Scheme == "wss") ?? (allowPlain ? uris.FirstOrDefault(u => u.Scheme == "ws") : null);
    }

    private static string Describe(string link) =>
        Uri.TryCreate(link.Trim(), UriKind.Absolute, out var u) ? WebSocketTransport.Describe(u) : "'" + (link.Length > 80 ? link[..80] + "…" : link) + "'";

    private static string Text(byte[] body)
    {
        try
        {
            var span = body.AsSpan();
            if (span.StartsWith("\uFEFF"u8))
                span = span[3..];
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(span);
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidDocumentException("is not UTF-8");
        }
    }

    private static string Flatten(Exception e)
    {
        var messages = new List<string>();
        for (var current = e; current is not null && messages.Count < 3; current = current.InnerException)
            messages.Add(current.Message);
        return string.Join(": ", messages.Distinct());
    }

    internal sealed class InvalidDocumentException(string message) : Exception(message);
}
