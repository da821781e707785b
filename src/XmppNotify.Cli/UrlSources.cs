using Xmpp.Notifications.Apprise;

namespace XmppNotify.Cli;

/// <summary>Where URLs come from besides the command line: --config files and the XMPP_URLS environment variable.</summary>
internal static class UrlSources
{
    public const string EnvironmentVariable = "XMPP_URLS";

    private static readonly char[] Whitespace = [' ', '\t', '\r', '\n', '\f', '\v'];

    /// <summary>An Apprise configuration: TEXT (<c>[tags=]URL</c> lines, '#' and ';' comments) or YAML (<c>urls:</c>).</summary>
    public static async Task<IReadOnlyList<TaggedUrl>> ReadConfigAsync(string path, CancellationToken cancellationToken)
    {
        var text = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        return AppriseConfig.Parse(text, $"--config file '{path}'");
    }

    /// <summary>URLs separated by any whitespace (a URL never contains an unescaped space), or an Apprise configuration.</summary>
    public static IReadOnlyList<TaggedUrl> ParseEnvironment(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
            return [];
        return AppriseConfig.IsConfiguration(value)
            ? AppriseConfig.Parse(value, EnvironmentVariable)
            : value.Split(Whitespace, StringSplitOptions.RemoveEmptyEntries).Select(u => new TaggedUrl(u)).ToList();
    }
}
