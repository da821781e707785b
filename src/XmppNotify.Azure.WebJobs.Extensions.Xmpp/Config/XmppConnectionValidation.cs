using Xmpp.Notifications.Apprise;
using XmppNotify.Azure.WebJobs.Extensions.Xmpp.KeyVault;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp.Config;

/// <summary>Indexing-time checks of a connection setting's value; reads no secret (URLs inside secrets are checked when read).</summary>
internal static class XmppConnectionValidation
{
    public static void Validate(string settingName, string? value)
    {
        int index = 0;
        foreach (var entry in ConnectionEntries.Parse(settingName, value))
        {
            index++;
            // The parser's messages never contain the password.
            if (entry.AppriseUrl is { } url && !global::Xmpp.Notifications.ConsoleSink.Is(url) && !AppriseXmppUrl.TryParse(url, out _, out var error))
            {
                throw new XmppConnectionException(
                    $"Entry {index} of the XMPP connection setting '{settingName}' is not a valid Apprise XMPP URL: {error!.Message}");
            }
        }
    }
}
