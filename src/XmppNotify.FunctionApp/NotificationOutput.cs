using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Xmpp.Notifications.Contracts.Requests;
using Xmpp.Notifications.Contracts;
using XmppNotify.Azure.Functions.Worker.Extensions.Xmpp;

namespace XmppNotify.FunctionApp;

/// <summary>
/// What an HTTP notification function returns: the messages for the XMPP output binding and the HTTP response.
/// </summary>
/// <remarks>
/// The host runs the output bindings (the XMPP extension connects and delivers in its collector's flush) before it
/// sends the HTTP response produced here. A delivery failure therefore fails the invocation and the caller receives
/// a 500 instead of this response: a 200 means the server accepted every message.
/// </remarks>
public sealed class NotificationOutput
{
    /// <summary>Null when nothing is to be sent: the worker then sends no value and the binding delivers nothing.</summary>
    [XmppOutput]
    public XmppMessage[]? Messages { get; init; }

    [HttpResult]
    public required IActionResult Response { get; init; }

    /// <summary>
    /// Runs <paramref name="parse"/> over the request body; a payload the parser rejects becomes a 400 carrying the
    /// parser's message, and nothing is sent.
    /// </summary>
    public static async Task<NotificationOutput> FromRequestAsync(
        HttpRequest request, Func<string?, ReadOnlyMemory<byte>, IReadOnlyList<XmppMessage>> parse, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(parse);

        var body = await RequestBody.ReadAsync(request, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return new NotificationOutput { Response = Text(StatusCodes.Status413PayloadTooLarge, $"The body exceeds the limit of {RequestBody.MaxBytes:N0} bytes.") };
        }

        IReadOnlyList<XmppMessage> messages;
        try
        {
            messages = parse(request.ContentType, body.Value);
        }
        catch (NotificationFormatException ex)
        {
            return new NotificationOutput { Response = Text(StatusCodes.Status400BadRequest, ex.Message) };
        }

        return new NotificationOutput
        {
            Messages = messages.Count == 0 ? null : [.. messages],
            Response = new OkObjectResult(new { delivered = messages.Count }),
        };
    }

    private static ContentResult Text(int statusCode, string text) =>
        new() { StatusCode = statusCode, Content = text, ContentType = "text/plain; charset=utf-8" };
}
