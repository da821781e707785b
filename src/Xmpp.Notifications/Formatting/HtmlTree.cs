namespace Xmpp.Notifications.Formatting;

/// <summary>An element or text node of tolerantly parsed HTML.</summary>
internal sealed class HtmlNode
{
    public HtmlNode(string? name, string? text = null)
    {
        Name = name;
        Text = text;
    }

    /// <summary>Lower-case tag name; null for text.</summary>
    public string? Name { get; }

    public string? Text { get; set; }

    public IReadOnlyList<KeyValuePair<string, string>> Attributes { get; init; } = [];

    public List<HtmlNode> Children { get; } = [];

    public string? Attribute(string name)
    {
        foreach (var (key, value) in Attributes)
        {
            if (key == name)
            {
                return value;
            }
        }

        return null;
    }
}

/// <summary>
/// Builds a tree from <see cref="HtmlTokenizer"/> tokens the forgiving way browsers do, simplified: end tags close the
/// nearest open element of that name (stray ones are ignored), unclosed elements end with their parent, and the
/// implied ends that matter for readability are applied (a block closes an open paragraph, a list item closes the
/// previous item, cells and rows close their predecessors). Nesting deeper than <see cref="MaxDepth"/> is flattened.
/// </summary>
internal static class HtmlTree
{
    public const int MaxDepth = 64;

    private static readonly HashSet<string> VoidElements = new(StringComparer.Ordinal)
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr",
    };

    private static readonly HashSet<string> ClosesParagraph = new(StringComparer.Ordinal)
    {
        "p", "div", "ul", "ol", "dl", "blockquote", "pre", "table", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
        "section", "article", "header", "footer", "main", "nav", "aside", "figure", "address", "details", "form", "fieldset",
    };

    private static readonly HashSet<string> ParagraphScope = new(StringComparer.Ordinal)
    {
        "li", "td", "th", "blockquote", "div", "table", "ul", "ol", "dd", "dt", "body", "html", "section", "article",
    };

    public static HtmlNode Parse(string html)
    {
        var root = new HtmlNode("#root");
        var open = new List<HtmlNode> { root };

        // Adjacent text tokens (e.g. a run of stray '<') are joined in a builder: repeated string concatenation would be quadratic.
        var text = new System.Text.StringBuilder();
        foreach (var token in HtmlTokenizer.Tokenize(html))
        {
            if (token.Kind == HtmlTokenKind.Text)
            {
                text.Append(token.Value);
                continue;
            }

            FlushText(open[^1], text);
            switch (token.Kind)
            {

                case HtmlTokenKind.StartTag:
                    Start(open, token);
                    break;

                case HtmlTokenKind.EndTag:
                    if (token.Value == "br")
                    {
                        open[^1].Children.Add(new HtmlNode("br"));
                        break;
                    }

                    var index = open.FindLastIndex(n => n.Name == token.Value);
                    if (index > 0)
                    {
                        open.RemoveRange(index, open.Count - index);
                    }

                    break;
            }
        }

        FlushText(open[^1], text);
        return root;
    }

    private static void FlushText(HtmlNode parent, System.Text.StringBuilder text)
    {
        if (text.Length > 0)
        {
            parent.Children.Add(new HtmlNode(null, text.ToString()));
            text.Clear();
        }
    }

    private static void Start(List<HtmlNode> open, HtmlToken token)
    {
        var name = token.Value;
        if (ClosesParagraph.Contains(name))
        {
            CloseNearest(open, n => n == "p", ParagraphScope);
        }

        switch (name)
        {
            case "li":
                CloseNearest(open, n => n == "li", ["ul", "ol"]);
                break;
            case "dt" or "dd":
                CloseNearest(open, n => n is "dt" or "dd", ["dl"]);
                break;
            case "tr":
                CloseNearest(open, n => n == "tr", ["table"]);
                break;
            case "td" or "th":
                CloseNearest(open, n => n is "td" or "th", ["tr", "table"]);
                break;
        }

        var element = new HtmlNode(name) { Attributes = token.Attributes };
        if (open.Count > MaxDepth && !VoidElements.Contains(name))
        {
            // Too deep: keep the content, lose the structure.
            return;
        }

        open[^1].Children.Add(element);
        if (!VoidElements.Contains(name) && !token.SelfClosing)
        {
            open.Add(element);
        }
    }

    private static void CloseNearest(List<HtmlNode> open, Func<string, bool> match, IReadOnlyCollection<string> scope)
    {
        for (var i = open.Count - 1; i > 0; i--)
        {
            var name = open[i].Name!;
            if (match(name))
            {
                open.RemoveRange(i, open.Count - i);
                return;
            }

            if (scope.Contains(name))
            {
                return;
            }
        }
    }
}
