using Xmpp.Binding.KeyVault;

namespace Xmpp.Binding.Config;

/// <summary>Indexing-time checks of a connection setting's value; reads no secret.</summary>
internal static class XmppConnectionValidation
{
    public static void Validate(string settingName, string? value)
    {
        foreach (var entry in ConnectionEntries.Parse(settingName, value))
        {
            if (entry.AppriseUrl is not null)
            {
                // TODO: parse with Xmpp.Binding.Apprise.AppriseXmppUrl.Parse once it lands (its message never holds the password).
            }
        }
    }
}
