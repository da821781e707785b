namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp.KeyVault;

/// <summary>An Apprise URL to deliver to, and the Key Vault secret it was read from, if any.</summary>
public sealed class ResolvedXmppUrl
{
    internal ResolvedXmppUrl(string url, Uri? secretUri)
    {
        Url = url;
        SecretUri = secretUri;
    }

    /// <summary>The URL including its password: never log it.</summary>
    public string Url { get; }

    /// <summary>The secret's URI as written in the setting (without version when none was given); null for a URL given directly.</summary>
    public Uri? SecretUri { get; }

    public override string ToString() => SecretUri is null ? "Apprise URL (from the app setting)" : $"Apprise URL (from {SecretUri})";
}
