namespace XmppNotify.Cli;

/// <summary>Where URLs come from besides the command line: --config files and the XMPP_URLS environment variable.</summary>
internal static class UrlSources
{
    public const string EnvironmentVariable = "XMPP_URLS";

    private static readonly char[] Whitespace = [' ', '\t', '\r', '\n', '\f', '\v'];

    /// <summary>One URL per line; blank lines and lines starting with '#' are comments. (A '#' inside a URL is a room.)</summary>
    public static async Task<IReadOnlyList<string>> ReadConfigAsync(string path, CancellationToken cancellationToken)
    {
        var text = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        return ParseConfig(text);
    }

    public static IReadOnlyList<string> ParseConfig(string text) =>
        text.Split('\n')
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .ToList();

    /// <summary>URLs separated by any whitespace: a URL never contains an unescaped space.</summary>
    public static IReadOnlyList<string> ParseEnvironment(string? value) =>
        string.IsNullOrWhiteSpace(value) ? [] : value.Split(Whitespace, StringSplitOptions.RemoveEmptyEntries);
}
