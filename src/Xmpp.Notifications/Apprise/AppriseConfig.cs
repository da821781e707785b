using System.Text;

namespace Xmpp.Notifications.Apprise;

/// <summary>An Apprise URL from a configuration, with the tags that select it. Its password never reaches <see cref="ToString"/>.</summary>
public sealed class TaggedUrl
{
    public TaggedUrl(string url, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(url);
        Url = url;
        Tags = new HashSet<string>(tags ?? [], StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The URL including its password: never log it.</summary>
    public string Url { get; }

    public IReadOnlySet<string> Tags { get; }

    public override string ToString() => $"{UrlRedaction.Redact(Url)}{(Tags.Count == 0 ? "" : $" [{string.Join(", ", Tags.Order(StringComparer.Ordinal))}]")}";
}

/// <summary>A configuration that could not be read; the message names the source and line, never the line's text.</summary>
public sealed class AppriseConfigException(string message) : FormatException(message);

/// <summary>
/// Apprise configuration files, the two formats Apprise reads (its <c>config_parse_text</c> and <c>config_parse_yaml</c>):
/// <list type="bullet">
/// <item>TEXT: one URL per line, optionally behind tags, <c>tag1, tag2=xmpps://…</c> (tags separated by commas or spaces);
///   lines starting with <c>#</c> or <c>;</c> are comments.</item>
/// <item>YAML: <c>urls:</c> followed by a list whose items are a URL, or a URL as a key holding <c>tag:</c> (and other
///   URL arguments, appended to the URL's query as Apprise does), or a list of such mappings (one URL each). A top-level
///   <c>tag:</c> is added to every URL; <c>version:</c> must be 1.</item>
/// </list>
/// The YAML reader takes this subset only (block style, plain or quoted scalars, <c>[a, b]</c> lists), which covers the
/// layouts of Apprise's documentation, and refuses anything else with the line number: it keeps a YAML library out of
/// the host process and the NativeAOT CLI. <c>include</c> is refused (a configuration that fetches other configurations
/// is a way to read files or URLs the operator did not mean to expose). Errors never quote a line, which may hold a password.
/// </summary>
public static class AppriseConfig
{
    /// <summary>Bounds what a hostile configuration can make us allocate.</summary>
    public const int MaxUrls = 100;

    /// <summary>True when <paramref name="text"/> is a configuration rather than bare URLs: YAML with <c>urls:</c>, or a TEXT line with tags.</summary>
    public static bool IsConfiguration(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            if (IsYamlKey(line, "urls") || IsYamlKey(line, "version") || IsYamlKey(line, "tag") || IsYamlKey(line, "include"))
            {
                return true;
            }

            if (TaggedLine(line) is not null)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Reads TEXT or YAML (YAML when a top-level <c>urls:</c>, <c>version:</c> or <c>tag:</c> key is present).</summary>
    public static IReadOnlyList<TaggedUrl> Parse(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(source);
        var lines = text.ReplaceLineEndings("\n").Split('\n');
        var yaml = lines.Any(l => l.Length > 0 && !char.IsWhiteSpace(l[0]) && (IsYamlKey(l.TrimEnd(), "urls") || IsYamlKey(l.TrimEnd(), "version")));
        var urls = yaml ? ParseYaml(lines, source) : ParseText(lines, source);
        if (urls.Count > MaxUrls)
        {
            throw new AppriseConfigException($"{source} lists {urls.Count} URLs; at most {MaxUrls} are accepted.");
        }

        return urls;
    }

    // ---- TEXT ----

    private static List<TaggedUrl> ParseText(string[] lines, string source)
    {
        var urls = new List<TaggedUrl>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            if (line.StartsWith("include ", StringComparison.OrdinalIgnoreCase) || line.StartsWith("include=", StringComparison.OrdinalIgnoreCase))
            {
                throw new AppriseConfigException($"Line {i + 1} of {source} is an include; includes are not supported: put the URLs in this configuration.");
            }

            if (TaggedLine(line) is { } tagged)
            {
                urls.Add(new TaggedUrl(tagged.Url, SplitTags(tagged.Tags)));
            }
            else if (StartsWithScheme(line))
            {
                urls.Add(new TaggedUrl(line));
            }
            else
            {
                throw new AppriseConfigException(
                    $"Line {i + 1} of {source} is neither a URL nor 'tags=URL'; expected lines such as 'ops, db=xmpps://user:password@host/target' or '# comment'.");
            }
        }

        return urls;
    }

    /// <summary><c>tag1, tag2=scheme://…</c>: the tags hold no ':' or '/', so a '=' inside a URL's query is never taken for it.</summary>
    private static (string Tags, string Url)? TaggedLine(string line)
    {
        var equals = line.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
        {
            return null;
        }

        var tags = line[..equals];
        var url = line[(equals + 1)..].Trim();
        if (!StartsWithScheme(url) || !tags.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ',' or ' ' or '\t'))
        {
            return null;
        }

        return (tags, url);
    }

    private static string[] SplitTags(string tags) =>
        tags.Split([',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static bool StartsWithScheme(string text)
    {
        var i = 0;
        while (i < text.Length && i <= 12 && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '+' or '-' or '.'))
        {
            i++;
        }

        return i > 0 && text.AsSpan(i).StartsWith("://", StringComparison.Ordinal);
    }

    // ---- YAML subset ----

    private readonly record struct Line(int Number, int Indent, string Text);

    private static bool IsYamlKey(string line, string key) =>
        line.StartsWith(key, StringComparison.Ordinal) && line.Length > key.Length && line[key.Length] == ':' &&
        (line.Length == key.Length + 1 || line[key.Length + 1] is ' ' or '\t');

    private static List<TaggedUrl> ParseYaml(string[] raw, string source)
    {
        var lines = new List<Line>();
        for (var i = 0; i < raw.Length; i++)
        {
            var text = StripComment(raw[i]).TrimEnd();
            if (text.Trim().Length == 0 || text.Trim() == "---")
            {
                continue;
            }

            if (text.Contains('\t', StringComparison.Ordinal) && text.TrimStart(' ').StartsWith('\t'))
            {
                throw new AppriseConfigException($"Line {i + 1} of {source} is indented with a tab; YAML indents with spaces.");
            }

            lines.Add(new Line(i + 1, text.Length - text.TrimStart(' ').Length, text.Trim()));
        }

        var globalTags = new List<string>();
        List<TaggedUrl>? urls = null;
        var index = 0;
        while (index < lines.Count)
        {
            var line = lines[index];
            if (line.Indent != 0)
            {
                throw Error(source, line, "is indented but belongs to no key");
            }

            var (key, value) = KeyValue(line, source);
            index++;
            switch (key)
            {
                case "version":
                    if (Scalar(value, line, source) != "1")
                    {
                        throw Error(source, line, "gives a version other than 1, the only Apprise configuration version");
                    }

                    break;
                case "tag" or "tags":
                    globalTags.AddRange(value.Length > 0 ? TagList(value, line, source) : BlockList(lines, ref index, 0, source));
                    break;
                case "urls":
                    if (value.Length > 0)
                    {
                        throw Error(source, line, "puts a value after 'urls:'; list the URLs below it, one '- URL' per line");
                    }

                    urls = ReadUrls(lines, ref index, source);
                    break;
                case "include":
                    throw Error(source, line, "is an include; includes are not supported: put the URLs in this configuration");
                case "asset" or "groups":
                    throw Error(source, line, $"uses '{key}:', which this reader does not support");
                default:
                    throw Error(source, line, "has a key other than version, tag or urls");
            }
        }

        if (urls is null)
        {
            throw new AppriseConfigException($"{source} is YAML without 'urls:'; list the URLs under 'urls:'.");
        }

        return urls.Select(u => new TaggedUrl(u.Url, u.Tags.Concat(globalTags))).ToList();
    }

    private static List<TaggedUrl> ReadUrls(List<Line> lines, ref int index, string source)
    {
        var urls = new List<TaggedUrl>();
        if (index >= lines.Count || lines[index].Indent == 0 && !lines[index].Text.StartsWith("- ", StringComparison.Ordinal))
        {
            return urls;
        }

        var itemIndent = lines[index].Indent;
        while (index < lines.Count && lines[index].Indent == itemIndent && IsItem(lines[index].Text))
        {
            var line = lines[index];
            var item = line.Text[1..].Trim();
            index++;
            if (item.EndsWith(':'))
            {
                // "- URL:" followed by its arguments: a mapping, or a list of mappings (one URL each).
                var url = Unquote(item[..^1].TrimEnd(), line, source);
                CheckUrl(url, line, source);
                if (index < lines.Count && lines[index].Indent > itemIndent && IsItem(lines[index].Text))
                {
                    var listIndent = lines[index].Indent;
                    while (index < lines.Count && lines[index].Indent == listIndent && IsItem(lines[index].Text))
                    {
                        var first = lines[index];
                        var inline = first.Text[1..].Trim();
                        index++;
                        var arguments = new List<(string Key, string Value, Line Line)>();
                        if (inline.Length > 0)
                        {
                            var (k, v) = KeyValue(first with { Text = inline }, source);
                            if (v.Length == 0 && k is "tag" or "tags")
                            {
                                v = string.Join(',', BlockList(lines, ref index, listIndent, source));
                            }

                            arguments.Add((k, v, first));
                        }

                        arguments.AddRange(ReadMapping(lines, ref index, listIndent, source));
                        urls.Add(Apply(url, arguments, source));
                    }
                }
                else
                {
                    urls.Add(Apply(url, ReadMapping(lines, ref index, itemIndent, source), source));
                }
            }
            else
            {
                var url = Unquote(item, line, source);
                CheckUrl(url, line, source);
                urls.Add(new TaggedUrl(url));
            }
        }

        if (index < lines.Count && lines[index].Indent > 0)
        {
            throw Error(source, lines[index], "is not a '- URL' item of 'urls:' (check its indentation)");
        }

        return urls;
    }

    private static bool IsItem(string text) => text == "-" || text.StartsWith("- ", StringComparison.Ordinal);

    /// <summary>The <c>key: value</c> lines indented deeper than <paramref name="parentIndent"/>.</summary>
    private static List<(string Key, string Value, Line Line)> ReadMapping(List<Line> lines, ref int index, int parentIndent, string source)
    {
        var result = new List<(string, string, Line)>();
        if (index >= lines.Count || lines[index].Indent <= parentIndent)
        {
            return result;
        }

        var indent = lines[index].Indent;
        while (index < lines.Count && lines[index].Indent == indent && !IsItem(lines[index].Text))
        {
            var line = lines[index];
            var (key, value) = KeyValue(line, source);
            index++;
            if (value.Length == 0 && key is "tag" or "tags")
            {
                value = string.Join(',', BlockList(lines, ref index, indent, source));
            }

            result.Add((key, value, line));
        }

        return result;
    }

    private static List<string> BlockList(List<Line> lines, ref int index, int parentIndent, string source)
    {
        var items = new List<string>();
        while (index < lines.Count && lines[index].Indent > parentIndent && IsItem(lines[index].Text))
        {
            items.Add(Scalar(lines[index].Text[1..].Trim(), lines[index], source));
            index++;
        }

        return items;
    }

    /// <summary>Apprise applies a URL's YAML arguments: <c>tag</c> selects, anything else becomes a URL argument.</summary>
    private static TaggedUrl Apply(string url, List<(string Key, string Value, Line Line)> arguments, string source)
    {
        var tags = new List<string>();
        var query = new StringBuilder();
        foreach (var (key, value, line) in arguments)
        {
            if (key is "tag" or "tags")
            {
                tags.AddRange(TagList(value, line, source));
            }
            else if (key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            {
                query.Append(query.Length == 0 && !url.Contains('?', StringComparison.Ordinal) ? '?' : '&')
                    .Append(key).Append('=').Append(Uri.EscapeDataString(Scalar(value, line, source)));
            }
            else
            {
                throw Error(source, line, "has an argument name with characters a URL argument cannot have");
            }
        }

        return new TaggedUrl(url + query, tags);
    }

    private static List<string> TagList(string value, Line line, string source)
    {
        if (value.StartsWith('['))
        {
            if (!value.EndsWith(']'))
            {
                throw Error(source, line, "opens a [list] without closing it on the same line");
            }

            return value[1..^1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .SelectMany(t => SplitTags(Unquote(t, line, source))).ToList();
        }

        return SplitTags(Scalar(value, line, source)).ToList();
    }

    private static (string Key, string Value) KeyValue(Line line, string source)
    {
        var colon = line.Text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || (colon + 1 < line.Text.Length && line.Text[colon + 1] != ' '))
        {
            throw Error(source, line, "is not a 'key: value' line");
        }

        return (line.Text[..colon].Trim().ToLowerInvariant(), line.Text[(colon + 1)..].Trim());
    }

    private static string Scalar(string value, Line line, string source)
    {
        if (value.StartsWith('{') || value.StartsWith('|') || value.StartsWith('>') || value.StartsWith('&') || value.StartsWith('*') || value.StartsWith('!'))
        {
            throw Error(source, line, "uses YAML syntax this reader does not support (flow mappings, block scalars, anchors or tags)");
        }

        return Unquote(value, line, source);
    }

    private static string Unquote(string value, Line line, string source)
    {
        if (value.Length >= 2 && value[0] == '\'' && value[^1] == '\'')
        {
            return value[1..^1].Replace("''", "'", StringComparison.Ordinal);
        }

        if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
        {
            var builder = new StringBuilder();
            for (var i = 1; i < value.Length - 1; i++)
            {
                if (value[i] == '\\' && i + 1 < value.Length - 1)
                {
                    i++;
                    builder.Append(value[i] switch
                    {
                        'n' => '\n',
                        't' => '\t',
                        '"' or '\\' or '/' => value[i],
                        _ => throw Error(source, line, "uses a backslash escape this reader does not support"),
                    });
                }
                else
                {
                    builder.Append(value[i]);
                }
            }

            return builder.ToString();
        }

        if (value.Length > 0 && value[0] is '\'' or '"')
        {
            throw Error(source, line, "opens a quoted string without closing it on the same line");
        }

        return value;
    }

    /// <summary>A '#' starts a comment only at the start or after a space: in a URL it is a room (<c>/#ops@conference…</c>).</summary>
    private static string StripComment(string line)
    {
        var quote = '\0';
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
            }
            else if (c is '\'' or '"' && (i == 0 || line[i - 1] is ' ' or '-' or ':'))
            {
                quote = c;
            }
            else if (c == '#' && (i == 0 || line[i - 1] is ' ' or '\t'))
            {
                return line[..i];
            }
        }

        return line;
    }

    private static void CheckUrl(string url, Line line, string source)
    {
        if (!StartsWithScheme(url))
        {
            throw Error(source, line, "lists something that is not a URL under 'urls:'");
        }
    }

    private static AppriseConfigException Error(string source, Line line, string what) =>
        new($"Line {line.Number} of {source} {what}.");
}
