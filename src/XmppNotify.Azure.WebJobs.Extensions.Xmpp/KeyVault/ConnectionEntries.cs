using Azure.Security.KeyVault.Secrets;
using Xmpp.Notifications;
using Xmpp.Notifications.Apprise;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp.KeyVault;

/// <summary>One entry of a connection setting: an Apprise URL given directly, or a Key Vault secret holding URLs.</summary>
internal readonly record struct ConnectionEntry(string? AppriseUrl, KeyVaultSecretIdentifier? Secret, IReadOnlySet<string> Tags)
{
    // The URL holds a password: a record's generated ToString would print it.
    public override string ToString() => Secret is { } s ? $"Key Vault secret {s.SourceId}" : "Apprise URL";
}

/// <summary>
/// Splits a connection setting (or a secret's value) into entries. Entries are separated by line breaks or other
/// whitespace; a comma or semicolon separates only when another <c>scheme://</c> follows, because Apprise URLs use
/// commas themselves (<c>to=a,b</c>). This is Apprise's own rule for URL lists.
/// <para>A value may instead be an Apprise configuration (<see cref="AppriseConfig"/>: TEXT with <c>tags=URL</c> lines, or
/// YAML with <c>urls:</c>); its tags select URLs for bindings with a <c>Tag</c>. A tagged Key Vault secret URI gives its
/// tags to every URL in the secret.</para>
/// </summary>
internal static class ConnectionEntries
{
    private const string AppServiceReferencePrefix = "@Microsoft.KeyVault(";

    public static IReadOnlyList<string> Split(string value)
    {
        var result = new List<string>();
        foreach (var token in value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int start = 0;
            for (int i = 0; i < token.Length; i++)
            {
                if ((token[i] == ',' || token[i] == ';') && StartsWithScheme(token.AsSpan(i + 1)))
                {
                    AddTrimmed(result, token[start..i]);
                    start = i + 1;
                }
            }

            AddTrimmed(result, token[start..]);
        }

        return result;
    }

    /// <summary>Classifies the entries of a setting; throws <see cref="XmppConnectionException"/> naming the setting only.</summary>
    public static IReadOnlyList<ConnectionEntry> Parse(string settingName, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new XmppConnectionException(
                $"The XMPP connection setting '{settingName}' is missing or empty. Set the app setting '{settingName}' to one or more " +
                "Apprise XMPP URLs (xmpps://user:password@host/target) or to a Key Vault secret URI " +
                "(https://<vault>.vault.azure.net/secrets/<name>), or name another setting with [Xmpp(Connection = \"...\")] " +
                "or host.json extensions:xmpp:connection.");
        }

        if (value.TrimStart().StartsWith(AppServiceReferencePrefix, StringComparison.OrdinalIgnoreCase))
        {
            throw new XmppConnectionException(
                $"The app setting '{settingName}' still holds an unresolved Key Vault reference (@Microsoft.KeyVault(...)): " +
                "the platform could not resolve it. Check that the function app's managed identity is enabled, has read access " +
                "to secrets in the vault (role 'Key Vault Secrets User' or an access policy with 'get'), that the vault's network " +
                "rules admit the app, and that the secret exists; the reference status is shown under the app's environment variables. " +
                "Alternatively set the setting to the secret URI itself and the binding will read it.");
        }

        var entries = new List<ConnectionEntry>();
        int index = 0;
        foreach (var tagged in Items(value, $"the XMPP connection setting '{settingName}'"))
        {
            var item = tagged.Url;
            index++;
            if (item.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            {
                entries.Add(new ConnectionEntry(null, ParseSecretUri(settingName, index, item), tagged.Tags));
            }
            else if (item.StartsWith("xmpp://", StringComparison.OrdinalIgnoreCase) || item.StartsWith("xmpps://", StringComparison.OrdinalIgnoreCase) ||
                item.Equals(ConsoleSink.Url, StringComparison.OrdinalIgnoreCase))
            {
                entries.Add(new ConnectionEntry(item, null, tagged.Tags));
            }
            else
            {
                // Only the scheme is printed: whatever follows may be a password.
                int colon = item.IndexOf("://", StringComparison.Ordinal);
                string what = colon > 0 && colon <= 12 ? $"a URL with scheme '{item[..colon]}'" : "text that is not a URL";
                throw new XmppConnectionException(
                    $"Entry {index} of the XMPP connection setting '{settingName}' is {what}; expected an Apprise URL " +
                    "(xmpp:// or xmpps://), a Key Vault secret URI (https://<vault>.vault.azure.net/secrets/<name>) or console:.");
            }
        }

        return entries;
    }

    /// <summary>The URLs of a setting or secret value: an Apprise configuration, or URLs separated as <see cref="Split"/> does.</summary>
    public static IReadOnlyList<TaggedUrl> Items(string value, string source)
    {
        if (!AppriseConfig.IsConfiguration(value))
        {
            return Split(value).Select(url => new TaggedUrl(url)).ToList();
        }

        try
        {
            return AppriseConfig.Parse(value, source);
        }
        catch (AppriseConfigException e)
        {
            throw new XmppConnectionException(e.Message, e);
        }
    }

    private static KeyVaultSecretIdentifier ParseSecretUri(string settingName, int index, string item)
    {
        // Query and fragment have no meaning for a secret URI; rejecting them avoids reading credentials passed that way.
        if (Uri.TryCreate(item, UriKind.Absolute, out var uri) && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment) &&
            string.IsNullOrEmpty(uri.UserInfo) && uri.Segments.Length is 3 or 4 &&
            string.Equals(uri.Segments[1], "secrets/", StringComparison.OrdinalIgnoreCase) &&
            KeyVaultSecretIdentifier.TryCreate(uri, out var id))
        {
            return id;
        }

        throw new XmppConnectionException(
            $"Entry {index} of the XMPP connection setting '{settingName}' is an https URL but not a Key Vault secret URI; " +
            "expected https://<vault>.vault.azure.net/secrets/<name> or .../secrets/<name>/<version>.");
    }

    private static bool StartsWithScheme(ReadOnlySpan<char> text)
    {
        int i = 0;
        while (i < text.Length && i <= 12 && char.IsAsciiLetterOrDigit(text[i]))
        {
            i++;
        }

        return i > 0 && text[i..].StartsWith("://", StringComparison.Ordinal);
    }

    private static void AddTrimmed(List<string> result, string item)
    {
        item = item.Trim();
        if (item.Length > 0)
        {
            result.Add(item);
        }
    }
}
