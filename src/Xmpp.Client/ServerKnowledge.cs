namespace Xmpp.Client;

/// <summary>
/// What this process learnt about servers (their pre-authentication stream features, no secret), for a short-lived
/// process, such as a command-line sender, that keeps it between runs: it then sends its first SASL message with the
/// stream header like a long-lived one. Every login still checks the real features and falls back when they differ.
/// </summary>
public static class ServerKnowledge
{
    /// <summary>Opaque keys and the features remembered for them.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Export() => LearnedFeatures.Export();

    /// <summary>Adds entries from <see cref="Export"/> of an earlier process; malformed ones are ignored.</summary>
    public static void Import(string key, string features)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(features);
        LearnedFeatures.Import(key, features);
    }
}
