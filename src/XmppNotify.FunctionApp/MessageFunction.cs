using System.Net;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.Azure.Functions.Worker;
using Xmpp.Notifications.Contracts.Requests;

namespace XmppNotify.FunctionApp;

/// <summary>
/// <c>POST /api/message</c>, for <c>http_message</c>/<c>mod_post_msg</c> clients: HTTP Basic credentials of the sender's
/// own XMPP account and a <c>&lt;message&gt;</c> stanza (or text with <c>?to=</c>). The message carries a one-off
/// connection with those credentials (<see cref="Xmpp.Notifications.Contracts.XmppMessage.Account"/>); the host logs in
/// as the account for this request only, sends, and writes 200 after the server acknowledged. Missing or malformed
/// credentials 401, a domain not in <c>XmppHttpMessageDomains</c> or a forged <c>from</c> 403, endpoint off (no such
/// setting) 503, bad body 400, oversized 413. A wrong password is found by the server during the host's flush, after
/// this function returned: the caller gets the host's 500, and the authentication failure is in the host's log.
/// </summary>
public static class MessageFunction
{
    [Function("Message")]
    public static async Task<NotificationOutput> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "message")] HttpRequestData request,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var domains = HttpMessageRequest.Domains(Environment.GetEnvironmentVariable(HttpMessageRequest.DomainsSetting));
        HttpMessageAccount account;
        try
        {
            account = HttpMessageAccount.FromBasicAuthorization(
                request.Headers.TryGetValues("Authorization", out var values) ? values.FirstOrDefault() : null, domains.Keys.ToList());
        }
        catch (HttpMessageRefusedException e)
        {
            return await RefuseAsync(request, e, cancellationToken).ConfigureAwait(false);
        }

        var body = await RequestBody.ReadAsync(request, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return new NotificationOutput
            {
                Response = await NotificationOutput.TextAsync(request, HttpStatusCode.RequestEntityTooLarge, $"The body exceeds the limit of {RequestBody.MaxBytes:N0} bytes.", cancellationToken).ConfigureAwait(false),
            };
        }

        try
        {
            var messages = HttpMessageRequest.Parse(account, domains, RequestBody.ContentType(request), body.Value, QueryTo(request.Url));
            return new NotificationOutput
            {
                Messages = [.. messages],
                Response = await NotificationOutput.TextAsync(request, HttpStatusCode.OK, $"Sent as {account.BareJid}.", cancellationToken).ConfigureAwait(false),
            };
        }
        catch (HttpMessageRefusedException e)
        {
            return await RefuseAsync(request, e, cancellationToken).ConfigureAwait(false);
        }
        catch (NotificationFormatException e)
        {
            return new NotificationOutput
            {
                Response = await NotificationOutput.TextAsync(request, HttpStatusCode.BadRequest, e.Message, cancellationToken).ConfigureAwait(false),
            };
        }
    }

    private static async Task<NotificationOutput> RefuseAsync(HttpRequestData request, HttpMessageRefusedException e, CancellationToken cancellationToken)
    {
        var response = await NotificationOutput.TextAsync(request, (HttpStatusCode)e.Status, e.Message, cancellationToken).ConfigureAwait(false);
        if (e.Status == 401)
        {
            response.Headers.Add("WWW-Authenticate", "Basic realm=\"xmpp\", charset=\"UTF-8\"");
        }

        return new NotificationOutput { Response = response };
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
