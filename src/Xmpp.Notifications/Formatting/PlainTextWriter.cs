using System.Text;

namespace Xmpp.Notifications.Formatting;

/// <summary>
/// Lays out text the way a reader of a plain-text chat client needs it: whitespace collapsed as HTML does, blocks
/// separated by blank lines, list items on their own lines behind a marker with continuation lines indented, quotes
/// behind "&gt; ". Breaks are requested and only written when more visible text follows, so none trail or pile up.
/// </summary>
internal sealed class PlainTextWriter
{
    private readonly StringBuilder _text = new();
    private readonly List<string> _prefixes = [];
    private int _pendingBreaks;

    // Blank lines between blocks carry only the prefixes both blocks share: none between a list and a following quote.
    private int _breakDepth;
    private bool _pendingSpace;
    private bool _atLineStart = true;
    private string? _pendingMarker;

    public int Length => _text.Length;

    /// <summary>Start a new paragraph before the next text.</summary>
    public void Block() => Break(Math.Max(_pendingBreaks, 2));

    /// <summary>Start a new line before the next text.</summary>
    public void Line() => Break(Math.Max(_pendingBreaks, 1));

    /// <summary>An explicit line break (<c>&lt;br&gt;</c>); two in a row make a blank line, more do not.</summary>
    public void HardBreak() => Break(Math.Min(_pendingBreaks + 1, 2));

    private void Break(int breaks)
    {
        if (_pendingBreaks == 0)
        {
            _breakDepth = _prefixes.Count;
        }

        _pendingBreaks = breaks;
    }

    public void PushPrefix(string prefix) => _prefixes.Add(prefix);

    public void PopPrefix()
    {
        _prefixes.RemoveAt(_prefixes.Count - 1);
        _breakDepth = Math.Min(_breakDepth, _prefixes.Count);
    }

    /// <summary>A list item starts: <paramref name="marker"/> replaces the item's indentation on its first line.</summary>
    public void StartItem(string marker)
    {
        Line();
        _pendingMarker = marker;
        PushPrefix(new string(' ', marker.Length));
    }

    public void EndItem()
    {
        _pendingMarker = null;
        PopPrefix();
        Line();
    }

    public void Text(string text)
    {
        foreach (var c in text)
        {
            if (c is ' ' or '\t' or '\n' or '\r' or '\f')
            {
                _pendingSpace = true;
            }
            else if (XmlText.IsAllowed(c))
            {
                Visible(c == '\u00A0' ? ' ' : c);
            }
        }
    }

    public void Preformatted(string text)
    {
        foreach (var c in text.ReplaceLineEndings("\n"))
        {
            if (c == '\n')
            {
                Break(_pendingBreaks + 1);
                _pendingSpace = false;
            }
            else if (c == '\t' || XmlText.IsAllowed(c))
            {
                _pendingSpace = false;
                Visible(c);
            }
        }
    }

    private void Visible(char c)
    {
        if (_pendingBreaks > 0 && _text.Length > 0)
        {
            _text.Append('\n');
            for (var i = 1; i < _pendingBreaks; i++)
            {
                _text.Append(string.Concat(_prefixes.Take(_breakDepth)).TrimEnd()).Append('\n');
            }

            _atLineStart = true;
        }

        _pendingBreaks = 0;
        if (_atLineStart)
        {
            if (_pendingMarker is not null)
            {
                _text.Append(string.Concat(_prefixes.Take(_prefixes.Count - 1))).Append(_pendingMarker);
                _pendingMarker = null;
            }
            else
            {
                _text.Append(string.Concat(_prefixes));
            }

            _atLineStart = false;
        }
        else if (_pendingSpace)
        {
            _text.Append(' ');
        }

        _pendingSpace = false;
        _text.Append(c);
    }

    public override string ToString() => _text.ToString();
}

/// <summary>Which characters may appear in XML 1.0 text at all.</summary>
internal static class XmlText
{
    public static bool IsAllowed(char c) =>
        c is '\t' or '\n' or '\r' || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) || char.IsSurrogate(c);

    /// <summary>Appends escaped text, dropping characters XML cannot carry and unpaired surrogates.</summary>
    public static void Append(StringBuilder builder, string text, bool attribute = false)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    builder.Append(c).Append(text[i + 1]);
                    i++;
                }

                continue;
            }

            if (char.IsLowSurrogate(c) || !IsAllowed(c))
            {
                continue;
            }

            _ = c switch
            {
                '&' => builder.Append("&amp;"),
                '<' => builder.Append("&lt;"),
                '>' => builder.Append("&gt;"),
                '"' when attribute => builder.Append("&quot;"),
                '\n' or '\r' or '\t' when attribute => builder.Append(' '),
                _ => builder.Append(c),
            };
        }
    }
}
