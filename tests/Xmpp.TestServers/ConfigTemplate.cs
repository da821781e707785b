using System.Text.RegularExpressions;

namespace Xmpp.TestServers;

/// <summary>Fills @NAME@ placeholders of the config templates shipped next to this assembly.</summary>
internal static partial class ConfigTemplate
{
    public static string AssetPath(string relativePath)
    {
        var path = Path.Combine(AppContext.BaseDirectory, relativePath);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Test server asset '{relativePath}' is missing next to the assembly.", path);
        }

        return path;
    }

    public static string Render(string templateFile, IReadOnlyDictionary<string, string> values)
    {
        var text = File.ReadAllText(AssetPath(templateFile));
        foreach (var (name, value) in values)
        {
            text = text.Replace("@" + name + "@", value, StringComparison.Ordinal);
        }

        var leftover = Placeholder().Match(text);
        if (leftover.Success)
        {
            throw new InvalidOperationException($"Template '{templateFile}' has an unfilled placeholder {leftover.Value}.");
        }

        return text;
    }

    [GeneratedRegex("@[A-Z_]+@")]
    private static partial Regex Placeholder();
}
