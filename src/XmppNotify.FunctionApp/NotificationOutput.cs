using System.Net;
using Microsoft.Azure.Functions.Worker.Http;
using Xmpp.Notifications.Contracts;
using Xmpp.Notifications.Contracts.Requests;
using XmppNotify.Azure.Functions.Worker.Extensions.Xmpp;

namespace XmppNotify.FunctionApp;

/// <summary>
/// What an HTTP notification function returns: the messages for the XMPP output binding and the HTTP response.
/// </summary>
/// <remarks>
/// <para>
/// A 200 means the XMPP server acknowledged every message. That holds because of the HTTP model: with the built-in
/// model (<see cref="HttpRequestData"/>/<see cref="HttpResponseData"/>) the response is one more output binding of the
/// invocation. The host takes the worker's result, binds and flushes every output binding — the XMPP extension
/// connects, sends and waits for the server's acknowledgement in its collector's flush — and writes the HTTP response
/// only afterwards; when a flush throws, the invocation fails and the caller gets a 500 instead of this response.
/// </para>
/// <para>
/// ASP.NET Core integration would break that promise: the host forwards the request to the worker, the worker writes
/// status, headers and body straight to the caller, and only then does the host bind the other outputs; a delivery
/// failure after the response started cannot turn it into a 500 (azure-functions-dotnet-worker issue 3269).
/// </para>
/// </remarks>
public sealed class NotificationOutput
{
    /// <summary>Null when nothing is to be sent: the worker then sends no value and the binding delivers nothing.</summary>
    [XmppOutput]
    public XmppMessage[]? Messages { get; init; }

    /// <summary>The HTTP response, written by the host after the XMPP binding delivered.</summary>
    public required HttpResponseData Response { get; init; }

    /// <summary>
    /// Runs <paramref name="parse"/> over the request body; a payload the parser rejects becomes a 400 carrying the
    /// parser's message, a body over the limit a 413, and nothing is sent.
    /// </summary>
    public static async Task<NotificationOutput> FromRequestAsync(
        HttpRequestData request, Func<string?, ReadOnlyMemory<byte>, IReadOnlyList<XmppMessage>> parse, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(parse);

        var body = await RequestBody.ReadAsync(request, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return new NotificationOutput
            {
                Response = await TextAsync(request, HttpStatusCode.RequestEntityTooLarge, $"The body exceeds the limit of {RequestBody.MaxBytes:N0} bytes.", cancellationToken).ConfigureAwait(false),
            };
        }

        IReadOnlyList<XmppMessage> messages;
        try
        {
            messages = parse(RequestBody.ContentType(request), body.Value);
        }
        catch (NotificationFormatException ex)
        {
            return new NotificationOutput
            {
                Response = await TextAsync(request, HttpStatusCode.BadRequest, ex.Message, cancellationToken).ConfigureAwait(false),
            };
        }

        var response = request.CreateResponse(HttpStatusCode.OK);
        response.Headers.Add("Content-Type", "application/json; charset=utf-8");
        await response.WriteStringAsync($$"""{"delivered":{{messages.Count}}}""", cancellationToken).ConfigureAwait(false);
        return new NotificationOutput
        {
            Messages = messages.Count == 0 ? null : [.. messages],
            Response = response,
        };
    }

    internal static async Task<HttpResponseData> TextAsync(HttpRequestData request, HttpStatusCode status, string text, CancellationToken cancellationToken)
    {
        var response = request.CreateResponse(status);
        response.Headers.Add("Content-Type", "text/plain; charset=utf-8");
        await response.WriteStringAsync(text, cancellationToken).ConfigureAwait(false);
        return response;
    }
}
