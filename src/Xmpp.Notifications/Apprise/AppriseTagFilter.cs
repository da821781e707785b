namespace Xmpp.Notifications.Apprise;

/// <summary>
/// Which tagged URLs a notification goes to, with Apprise's semantics: a list of alternatives, each a set of tags that
/// a URL must all carry. No alternatives (no tag given) selects the untagged URLs only; the tag <c>all</c> selects
/// every URL; a URL tagged <c>always</c> is selected whenever a tag is given. Tags compare case-insensitively.
/// <para>Spelled two ways: on the command line and in bindings, several <c>--tag</c> values (or <c>;</c>-separated
/// values in one <c>Tag</c>) are alternatives and a comma inside one means "all of" (<see cref="FromOptions"/>); in the
/// Apprise API's <c>tag</c> field, a comma separates alternatives and a space joins tags that must all match
/// (<see cref="FromApiExpression"/>).</para>
/// </summary>
public sealed class AppriseTagFilter
{
    public const string MatchAll = "all";
    public const string MatchAlways = "always";

    private const int MaxTerms = 32;

    private readonly List<HashSet<string>> _alternatives;

    private AppriseTagFilter(List<HashSet<string>> alternatives) => _alternatives = alternatives;

    /// <summary>No tag: the untagged URLs only.</summary>
    public static AppriseTagFilter Untagged { get; } = new([]);

    public bool IsUntagged => _alternatives.Count == 0;

    /// <summary>Several values match any of them; a comma-separated value matches URLs carrying all of its tags.</summary>
    public static AppriseTagFilter FromOptions(IEnumerable<string>? values)
    {
        var alternatives = new List<HashSet<string>>();
        foreach (var value in values ?? [])
        {
            foreach (var alternative in value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                Add(alternatives, alternative.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            }
        }

        return new(alternatives);
    }

    /// <summary>The Apprise API's expression: <c>a, b</c> is a or b; <c>a b</c> is a and b; <c>a b, c</c> is (a and b) or c.</summary>
    public static AppriseTagFilter FromApiExpression(string? expression)
    {
        var alternatives = new List<HashSet<string>>();
        foreach (var alternative in (expression ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            Add(alternatives, alternative.Split([' ', '\t', '+'], StringSplitOptions.RemoveEmptyEntries));
        }

        return new(alternatives);
    }

    private static void Add(List<HashSet<string>> alternatives, string[] tags)
    {
        if (tags.Length == 0)
        {
            return;
        }

        foreach (var tag in tags)
        {
            if (!tag.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
            {
                throw new ArgumentException($"The tag \"{(tag.Length > 40 ? tag[..40] + "…" : tag)}\" has characters a tag cannot have; tags are letters, digits, '_', '-' and '.'.");
            }
        }

        if (alternatives.Count == MaxTerms)
        {
            throw new ArgumentException($"More than {MaxTerms} tag alternatives were given.");
        }

        alternatives.Add(new HashSet<string>(tags, StringComparer.OrdinalIgnoreCase));
    }

    public bool Matches(IReadOnlySet<string> tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        if (_alternatives.Count == 0)
        {
            return tags.Count == 0;
        }

        if (tags.Contains(MatchAlways))
        {
            return true;
        }

        foreach (var alternative in _alternatives)
        {
            if (alternative.Contains(MatchAll) || alternative.All(tags.Contains))
            {
                return true;
            }
        }

        return false;
    }

    public IReadOnlyList<TaggedUrl> Select(IEnumerable<TaggedUrl> urls) => urls.Where(u => Matches(u.Tags)).ToList();

    /// <summary><c>ops</c>, <c>ops+db</c> (all of), <c>ops | db</c> (any of), <c>(untagged)</c>: for messages, never a URL.</summary>
    public override string ToString() => _alternatives.Count == 0
        ? "(untagged)"
        : string.Join(" | ", _alternatives.Select(a => string.Join('+', a.Order(StringComparer.Ordinal))));
}
