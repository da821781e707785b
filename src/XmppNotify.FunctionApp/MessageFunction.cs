using System.Net;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.Azure.Functions.Worker;
using Xmpp.Notifications.Contracts.Requests;

namespace XmppNotify.FunctionApp;

/// <summary>
/// <c>POST /api/message</c>, for <c>http_message</c>/<c>mod_post_msg</c> clients: HTTP Basic credentials of the sender's
/// own XMPP account and a <c>&lt;message&gt;</c> stanza (or text with <c>?to=</c>). The function logs in as that account
/// for this request only, to the server that <c>XmppHttpMessageDomains</c> names for its domain, sends, waits for the
/// server's acknowledgement and only then answers 200 (<see cref="HttpMessageSender"/>). 401 for missing or malformed
/// credentials and for credentials the server refuses; 403 for a domain not in the setting or a forged <c>from</c>;
/// 503 when the setting is absent (endpoint off); 400 for a bad body or recipient; 413 over the size and recipient caps;
/// 502 when the server cannot be reached or refuses a message; 504 when it does not answer in time.
/// </summary>
/// <remarks>
/// It has no XMPP output binding: the binding would log in only after this function returned, too late for a 401.
/// </remarks>
public static class MessageFunction
{
    [Function("Message")]
    public static async Task<HttpResponseData> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "message")] HttpRequestData request,
        FunctionContext context,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var domains = HttpMessageRequest.Domains(Environment.GetEnvironmentVariable(HttpMessageRequest.DomainsSetting));
        try
        {
            var account = HttpMessageAccount.FromBasicAuthorization(
                request.Headers.TryGetValues("Authorization", out var values) ? values.FirstOrDefault() : null, domains.Keys.ToList());
            var body = await RequestBody.ReadAsync(request, cancellationToken).ConfigureAwait(false);
            if (body is null)
            {
                return await NotificationOutput.TextAsync(request, HttpStatusCode.RequestEntityTooLarge, $"The body exceeds the limit of {RequestBody.MaxBytes:N0} bytes.", cancellationToken).ConfigureAwait(false);
            }

            var messages = HttpMessageRequest.Parse(account, RequestBody.ContentType(request), body.Value, QueryTo(request.Url));
            var answer = await HttpMessageSender.SendAsync(
                account.ToAppriseUrl(domains), account.BareJid, messages, context.GetLogger("XmppNotify.FunctionApp.Message"), cancellationToken).ConfigureAwait(false);
            return await AnswerAsync(request, answer.Status, answer.Text, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpMessageRefusedException e)
        {
            return await AnswerAsync(request, (HttpStatusCode)e.Status, e.Message, cancellationToken).ConfigureAwait(false);
        }
        catch (NotificationFormatException e)
        {
            return await NotificationOutput.TextAsync(request, HttpStatusCode.BadRequest, e.Message, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<HttpResponseData> AnswerAsync(HttpRequestData request, HttpStatusCode status, string text, CancellationToken cancellationToken)
    {
        var response = await NotificationOutput.TextAsync(request, status, text, cancellationToken).ConfigureAwait(false);
        if (status == HttpStatusCode.Unauthorized)
        {
            response.Headers.Add("WWW-Authenticate", "Basic realm=\"xmpp\", charset=\"UTF-8\"");
        }

        return response;
    }

    /// <summary>The recipients in <c>?to=</c> (repeated or comma-separated), as the message's <c>to</c> list.</summary>
    private static string? QueryTo(Uri url)
    {
        var to = url.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Where(p => p[0] == "to" && p.Length == 2)
            .Select(p => Uri.UnescapeDataString(p[1].Replace('+', ' ')))
            .ToList();
        return to.Count == 0 ? null : string.Join(',', to);
    }
}
