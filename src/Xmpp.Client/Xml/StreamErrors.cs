using System.Xml.Linq;

namespace Xmpp.Client.Xml;

/// <summary>Reads <c>&lt;stream:error&gt;</c> (RFC 6120 §4.9).</summary>
internal static class StreamErrors
{
    private static readonly XNamespace ErrorsNamespace = Namespaces.StreamErrors;
    private static readonly XName ErrorName = XNamespace.Get(Namespaces.Streams).GetName("error");

    public static bool IsStreamError(XElement element) => element.Name == ErrorName;

    /// <summary>
    /// The condition is the first child in the xmpp-streams namespace other than <c>text</c>; a missing one becomes
    /// <c>undefined-condition</c>. For <c>see-other-host</c> without a text, the new host (the element's content) is
    /// reported as the text so the caller can redirect.
    /// </summary>
    public static XmppStreamErrorException ToException(XElement error)
    {
        ArgumentNullException.ThrowIfNull(error);
        string? condition = null;
        string? conditionValue = null;
        string? text = null;
        foreach (var child in error.Elements())
        {
            if (child.Name.Namespace != ErrorsNamespace)
            {
                continue;
            }

            if (child.Name.LocalName == "text")
            {
                text ??= child.Value;
            }
            else if (condition is null)
            {
                condition = child.Name.LocalName;
                conditionValue = child.Value;
            }
        }

        if (string.IsNullOrEmpty(text) && condition == "see-other-host" && !string.IsNullOrWhiteSpace(conditionValue))
        {
            text = conditionValue.Trim();
        }

        return new XmppStreamErrorException(condition ?? "undefined-condition", string.IsNullOrEmpty(text) ? null : text);
    }
}
