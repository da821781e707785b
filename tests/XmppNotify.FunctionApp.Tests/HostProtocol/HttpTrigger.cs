using System.Globalization;
using System.Net;
using System.Text;
using Google.Protobuf;
using XmppNotify.FunctionApp.Tests.HostProtocol.Rpc;

namespace XmppNotify.FunctionApp.Tests.HostProtocol;

/// <summary>An HTTP request as it reaches the host's front end.</summary>
public sealed record HarnessHttpRequest(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public static HarnessHttpRequest Post(string pathAndQuery, string contentType, byte[] body) =>
        new("POST", pathAndQuery, new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["Content-Type"] = contentType,
            ["Content-Length"] = body.Length.ToString(CultureInfo.InvariantCulture),
            ["Host"] = "localhost:7071",
        }, body);

    public static HarnessHttpRequest Post(string pathAndQuery, string contentType, string body) =>
        Post(pathAndQuery, contentType, Encoding.UTF8.GetBytes(body));

    /// <summary>The same request sent with <c>Transfer-Encoding: chunked</c> instead of a Content-Length.</summary>
    public HarnessHttpRequest Chunked()
    {
        var headers = new Dictionary<string, string>(Headers, StringComparer.OrdinalIgnoreCase) { ["Transfer-Encoding"] = "chunked" };
        headers.Remove("Content-Length");
        return this with { Headers = headers };
    }
}

/// <summary>What the host's front end answers.</summary>
public sealed record HarnessHttpResponse(HttpStatusCode StatusCode, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string BodyText => Encoding.UTF8.GetString(Body);

    public override string ToString() => $"{(int)StatusCode} {StatusCode}: {BodyText}";
}

/// <summary>
/// The built-in HTTP model on the wire: the request as <c>RpcHttp</c> trigger data, and the response from the worker's
/// <c>http</c> output. The shapes follow what the host sends a worker that reports RpcHttpBodyOnly, RawHttpBodyBytes,
/// RpcHttpTriggerMetadataRemoved and UseNullableValueDictionaryForHttp (the .NET isolated worker reports all four).
/// </summary>
public static class HttpTrigger
{
    public static TypedData ToRpcHttp(HarnessHttpRequest request, IReadOnlyDictionary<string, string> workerCapabilities)
    {
        var nullableDictionaries = IsOn(workerCapabilities, "UseNullableValueDictionaryForHttp");
        var host = request.Headers.TryGetValue("Host", out var h) ? h : "localhost";
        var http = new RpcHttp { Method = request.Method, Url = $"http://{host}{request.PathAndQuery}" };

        var query = request.PathAndQuery.Contains('?', StringComparison.Ordinal) ? request.PathAndQuery[(request.PathAndQuery.IndexOf('?', StringComparison.Ordinal) + 1)..] : "";
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=', 2);
            var name = Uri.UnescapeDataString(parts[0]);
            var value = parts.Length > 1 ? Uri.UnescapeDataString(parts[1].Replace('+', ' ')) : "";
            if (nullableDictionaries)
            {
                http.NullableQuery[name] = new NullableString { Value = value };
            }
            else if (value.Length > 0)
            {
                http.Query[name] = value;
            }
        }

        // Header names lower-cased, as the host does.
        foreach (var (name, value) in request.Headers)
        {
            if (nullableDictionaries)
            {
                http.NullableHeaders[name.ToLowerInvariant()] = new NullableString { Value = value };
            }
            else if (value.Length > 0)
            {
                http.Headers[name.ToLowerInvariant()] = value;
            }
        }

        // The host reads a body only when the request declares a Content-Length above zero (a chunked body without
        // one reaches the worker empty); with RawHttpBodyBytes it is sent as bytes whatever the Content-Type, and with
        // RpcHttpBodyOnly no separate raw body.
        if (request.Headers.TryGetValue("Content-Length", out var length) && long.TryParse(length, NumberStyles.None, CultureInfo.InvariantCulture, out var declared) && declared > 0)
        {
            var rawBytes = IsOn(workerCapabilities, "RawHttpBodyBytes");
            http.Body = rawBytes ? new TypedData { Bytes = ByteString.CopyFrom(request.Body) } : new TypedData { String = Encoding.UTF8.GetString(request.Body) };
            if (!IsOn(workerCapabilities, "RpcHttpBodyOnly"))
            {
                http.RawBody = http.Body.Clone();
            }
        }

        return new TypedData { Http = http };
    }

    /// <summary>The response the host writes from the worker's http output.</summary>
    public static HarnessHttpResponse FromRpcHttp(TypedData output)
    {
        if (output.DataCase != TypedData.DataOneofCase.Http)
        {
            throw new InvalidOperationException($"The http output is {output.DataCase}, not Http.");
        }

        var http = output.Http;
        var status = string.IsNullOrEmpty(http.StatusCode) ? HttpStatusCode.OK : (HttpStatusCode)int.Parse(http.StatusCode, CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in http.Headers)
        {
            headers[name] = value;
        }

        foreach (var (name, value) in http.NullableHeaders)
        {
            headers[name] = value.Value;
        }

        var body = http.Body?.DataCase switch
        {
            TypedData.DataOneofCase.Bytes => http.Body.Bytes.ToByteArray(),
            TypedData.DataOneofCase.Stream => http.Body.Stream.ToByteArray(),
            TypedData.DataOneofCase.String => Encoding.UTF8.GetBytes(http.Body.String),
            TypedData.DataOneofCase.Json => Encoding.UTF8.GetBytes(http.Body.Json),
            _ => [],
        };
        return new HarnessHttpResponse(status, headers, body);
    }

    /// <summary>The host's answer when the invocation failed: a bare 500, the worker's response discarded.</summary>
    public static HarnessHttpResponse InternalServerError { get; } = new(HttpStatusCode.InternalServerError, new Dictionary<string, string>(), []);

    private static bool IsOn(IReadOnlyDictionary<string, string> capabilities, string name) =>
        capabilities.TryGetValue(name, out var value) && bool.TryParse(value, out var on) && on;
}
