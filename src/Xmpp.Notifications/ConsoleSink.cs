using System.Text;

namespace Xmpp.Notifications;

/// <summary>
/// The <c>console:</c> connection value for local development: instead of sending, each notification is written to a
/// log (the Functions host's console, or standard output for xmpp-notify) with its recipients, title, body and format,
/// so an app runs end to end without an XMPP server. It never connects anywhere, and nothing is delivered.
/// </summary>
public static class ConsoleSink
{
    public const string Url = "console:";

    public static bool Is(string url) => url.Trim().Equals(Url, StringComparison.OrdinalIgnoreCase);

    /// <summary>One notification as the sink prints it (several lines; the body as given, before any rendering).</summary>
    public static string Describe(Notification notification)
    {
        ArgumentNullException.ThrowIfNull(notification);
        var text = new StringBuilder();
        text.Append("to: ").Append(notification.Targets is { Count: > 0 } targets ? string.Join(", ", targets) : "(the URL's targets)");
        text.Append(" | type: ").Append(notification.Type.ToString().ToLowerInvariant());
        text.Append(" | format: ").Append(notification.Format.ToString().ToLowerInvariant()).Append('\n');
        if (!string.IsNullOrEmpty(notification.Title))
        {
            text.Append("title: ").Append(notification.Title).Append('\n');
        }

        text.Append(notification.Body);
        return text.ToString();
    }
}
