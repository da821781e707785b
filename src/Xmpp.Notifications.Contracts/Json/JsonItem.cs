using System.Globalization;
using System.Text;
using System.Text.Json;
using Xmpp.Notifications.Contracts.Requests;

namespace Xmpp.Notifications.Contracts.Json;

/// <summary>
/// A JSON value that remembers its path and line. JsonDocument forgets positions, and every rejection has to say where
/// the problem is, so payloads are read into this small tree instead (bounded by the payload size limit).
/// </summary>
internal sealed class JsonItem
{
    private JsonItem(JsonValueKind kind, string path, int line, int position)
    {
        Kind = kind;
        Path = path;
        Line = line;
        Position = position;
    }

    public JsonValueKind Kind { get; }

    /// <summary>The decoded string, the raw number text, or <c>true</c>/<c>false</c>.</summary>
    public string? Text { get; private set; }

    public List<KeyValuePair<string, JsonItem>> Properties { get; } = [];

    public List<JsonItem> Items { get; } = [];

    /// <summary><c>alerts[2].labels</c>; empty for the root.</summary>
    public string Path { get; }

    public int Line { get; }

    public int Position { get; }

    /// <summary>The path for messages: the root is called "the payload".</summary>
    public string Name => Path.Length == 0 ? "the payload" : Path;

    public string KindName => Describe(Kind);

    public static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    public NotificationFormatException Error(string message) => new(message, Path, Line, Position);

    /// <summary>Parses UTF-8 JSON; syntax errors and nesting beyond <paramref name="maxDepth"/> become <see cref="NotificationFormatException"/>.</summary>
    public static JsonItem Parse(ReadOnlySpan<byte> utf8Json, int maxDepth)
    {
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions
        {
            // Our own depth check below gives the better message; the reader's limit is only a backstop.
            MaxDepth = maxDepth + 2,
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        });
        var lines = new LineTracker();
        try
        {
            if (!Read(ref reader))
            {
                throw new NotificationFormatException("The JSON payload is empty.");
            }

            var root = ReadValue(ref reader, utf8Json, ref lines, string.Empty, maxDepth);
            if (Read(ref reader))
            {
                var (line, position) = lines.At(utf8Json, reader.TokenStartIndex);
                throw new NotificationFormatException("The JSON payload has more content after its first value; send one object or one array.", null, line, position);
            }

            return root;
        }
        catch (JsonException ex)
        {
            var detail = ex.Message;
            var cut = detail.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut > 0)
            {
                detail = detail[..cut];
            }

            int? line = ex.LineNumber is long l ? (int)l + 1 : null;
            int? position = ex.BytePositionInLine is long p ? (int)p + 1 : null;
            throw new NotificationFormatException($"The payload is not valid JSON: {detail.TrimEnd('.')}.", null, line, position, ex);
        }
    }

    /// <summary>
    /// A string token as text. JSON may escape a lone surrogate (<c>"\ud800"</c>), which is no Unicode text at all:
    /// System.Text.Json then throws InvalidOperationException, which must be the caller's error, not a server fault.
    /// </summary>
    private static string ReadString(ref Utf8JsonReader reader, string path, ReadOnlySpan<byte> utf8Json, ref LineTracker lines)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException ex)
        {
            var (line, position) = lines.At(utf8Json, reader.TokenStartIndex);
            var where = path.Length == 0 ? "a property name" : path;
            throw new NotificationFormatException(
                $"The JSON string at {where} is not valid Unicode (an escaped lone surrogate such as \\ud800); send text.",
                path.Length == 0 ? null : path, line, position, ex);
        }
    }

    private static bool Read(ref Utf8JsonReader reader)
    {
        while (reader.Read())
        {
            if (reader.TokenType != JsonTokenType.Comment)
            {
                return true;
            }
        }

        return false;
    }

    private static JsonItem ReadValue(ref Utf8JsonReader reader, ReadOnlySpan<byte> utf8Json, ref LineTracker lines, string path, int maxDepth)
    {
        var (line, position) = lines.At(utf8Json, reader.TokenStartIndex);
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
            case JsonTokenType.StartArray:
                if (reader.CurrentDepth >= maxDepth)
                {
                    throw new NotificationFormatException(
                        $"The JSON is nested more than {maxDepth} levels deep at {(path.Length == 0 ? "the root" : path)}; notification payloads are flat.",
                        path, line, position);
                }

                break;
        }

        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
            {
                var item = new JsonItem(JsonValueKind.Object, path, line, position);
                while (Read(ref reader) && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var name = ReadString(ref reader, path, utf8Json, ref lines);
                    Read(ref reader);
                    item.Properties.Add(new(name, ReadValue(ref reader, utf8Json, ref lines, ChildPath(path, name), maxDepth)));
                }

                return item;
            }

            case JsonTokenType.StartArray:
            {
                var item = new JsonItem(JsonValueKind.Array, path, line, position);
                while (Read(ref reader) && reader.TokenType != JsonTokenType.EndArray)
                {
                    item.Items.Add(ReadValue(ref reader, utf8Json, ref lines, $"{path}[{item.Items.Count}]", maxDepth));
                }

                return item;
            }

            case JsonTokenType.String:
                return new JsonItem(JsonValueKind.String, path, line, position) { Text = ReadString(ref reader, path, utf8Json, ref lines) };
            case JsonTokenType.Number:
                return new JsonItem(JsonValueKind.Number, path, line, position) { Text = Encoding.UTF8.GetString(reader.ValueSpan) };
            case JsonTokenType.True:
                return new JsonItem(JsonValueKind.True, path, line, position) { Text = "true" };
            case JsonTokenType.False:
                return new JsonItem(JsonValueKind.False, path, line, position) { Text = "false" };
            default:
                return new JsonItem(JsonValueKind.Null, path, line, position);
        }
    }

    private static string ChildPath(string parent, string name)
    {
        var simple = name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '$');
        if (!simple)
        {
            return $"{parent}[\"{name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"]";
        }

        return parent.Length == 0 ? name : $"{parent}.{name}";
    }

    /// <summary>Finds a property by name ignoring case; two spellings of the same name are ambiguous and rejected.</summary>
    public JsonItem? Find(string name)
    {
        JsonItem? found = null;
        string? foundName = null;
        foreach (var (key, value) in Properties)
        {
            if (!string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (found is not null)
            {
                throw value.Error(string.Equals(foundName, key, StringComparison.Ordinal)
                    ? $"{value.Name} appears twice in {Name}."
                    : $"{Name} has both \"{foundName}\" and \"{key}\"; property names are case-insensitive, so send only one.");
            }

            found = value;
            foundName = key;
        }

        return found;
    }

    /// <summary>A string property, or null when absent or JSON null.</summary>
    public string? GetString(string name)
    {
        var value = Find(name);
        if (value is null || value.Kind == JsonValueKind.Null)
        {
            return null;
        }

        return value.Kind == JsonValueKind.String
            ? value.Text
            : throw value.Error($"{value.Name} must be a string, but it is {value.KindName}.");
    }

    public JsonItem? GetObject(string name) => GetOfKind(name, JsonValueKind.Object, "an object");

    public JsonItem? GetArray(string name) => GetOfKind(name, JsonValueKind.Array, "an array");

    private JsonItem? GetOfKind(string name, JsonValueKind kind, string expected)
    {
        var value = Find(name);
        if (value is null || value.Kind == JsonValueKind.Null)
        {
            return null;
        }

        return value.Kind == kind ? value : throw value.Error($"{value.Name} must be {expected}, but it is {value.KindName}.");
    }

    /// <summary>An integer property; huge or fractional numbers are rejected rather than silently clamped.</summary>
    public long? GetInteger(string name)
    {
        var value = Find(name);
        if (value is null || value.Kind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.Kind != JsonValueKind.Number)
        {
            throw value.Error($"{value.Name} must be an integer, but it is {value.KindName}.");
        }

        return long.TryParse(value.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var result)
            ? result
            : throw value.Error($"{value.Name} must be an integer between {long.MinValue} and {long.MaxValue}, but it is {Abbreviate(value.Text!)}.");
    }

    /// <summary>A map of string to string such as Prometheus labels: keys are case-sensitive there.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> GetStringMap(string name)
    {
        var map = GetObject(name);
        if (map is null)
        {
            return [];
        }

        var result = new List<KeyValuePair<string, string>>(map.Properties.Count);
        foreach (var (key, value) in map.Properties)
        {
            if (value.Kind != JsonValueKind.String)
            {
                throw value.Error($"{value.Name} must be a string, but it is {value.KindName}.");
            }

            result.Add(new(key, value.Text!));
        }

        return result;
    }

    public static string Abbreviate(string text, int max = 40) => text.Length <= max ? text : $"{text[..max]}… ({text.Length} characters)";

    /// <summary>Turns byte offsets into 1-based lines and positions, scanning forward only (tokens arrive in order).</summary>
    private struct LineTracker
    {
        private int _scanned;
        private int _line;
        private int _lineStart;

        public (int Line, int Position) At(ReadOnlySpan<byte> text, long offset)
        {
            var end = (int)Math.Min(offset, text.Length);
            for (; _scanned < end; _scanned++)
            {
                if (text[_scanned] == (byte)'\n')
                {
                    _line++;
                    _lineStart = _scanned + 1;
                }
            }

            return (_line + 1, end - _lineStart + 1);
        }
    }
}
