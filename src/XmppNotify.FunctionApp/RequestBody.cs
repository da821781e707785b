using Microsoft.Azure.Functions.Worker.Http;
using Xmpp.Notifications.Contracts;

namespace XmppNotify.FunctionApp;

/// <summary>Reads a notification request body into memory, bounded so that one caller cannot exhaust the instance.</summary>
internal static class RequestBody
{
    /// <summary>The parsers' own limit: reading further would only produce a body they reject.</summary>
    public const int MaxBytes = XmppMessageJson.MaxPayloadBytes;

    /// <summary>The request's Content-Type, or null when it has none.</summary>
    public static string? ContentType(HttpRequestData request) =>
        request.Headers.TryGetValues("Content-Type", out var values) ? values.FirstOrDefault() : null;

    /// <summary>The body, or null when it is larger than <see cref="MaxBytes"/>.</summary>
    public static async Task<ReadOnlyMemory<byte>?> ReadAsync(HttpRequestData request, CancellationToken cancellationToken)
    {
        if (request.Headers.TryGetValues("Content-Length", out var lengths)
            && long.TryParse(lengths.FirstOrDefault(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var length)
            && length > MaxBytes)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }
}
