namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp.KeyVault;

/// <summary>An Apprise URL to deliver to, and the Key Vault secret it was read from, if any.</summary>
public sealed class ResolvedXmppUrl
{
    internal ResolvedXmppUrl(string url, Uri? secretUri, IEnumerable<string>? tags = null)
    {
        Url = url;
        SecretUri = secretUri;
        Tags = new HashSet<string>(tags ?? [], StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The Apprise tags that select this URL (from the configuration and from a tagged secret URI).</summary>
    public IReadOnlySet<string> Tags { get; }

    /// <summary>The URL including its password: never log it.</summary>
    public string Url { get; }

    /// <summary>The secret's URI as written in the setting (without version when none was given); null for a URL given directly.</summary>
    public Uri? SecretUri { get; }

    public override string ToString() => SecretUri is null ? "Apprise URL (from the app setting)" : $"Apprise URL (from {SecretUri})";
}
