using System.Xml;

namespace Xmpp.Client.Xml;

/// <summary>Parser settings shared by every place that reads XML from the network or from users (RFC 6120 §11).</summary>
internal static class XmlSafety
{
    /// <summary>
    /// No DTD (so no entity expansion, no external fetches), no resolver, strict characters. Comments and processing
    /// instructions are restricted XML that servers do not send; they are skipped rather than fatal.
    /// </summary>
    public static XmlReaderSettings CreateSettings(bool async, ConformanceLevel conformance) => new()
    {
        Async = async,
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreProcessingInstructions = true,
        IgnoreComments = true,
        IgnoreWhitespace = false,
        CheckCharacters = true,
        CloseInput = false,
        ConformanceLevel = conformance,
        MaxCharactersFromEntities = 1024,
    };

    /// <summary>True when the text declares a DTD or entities: that is restricted XML, not merely malformed XML.</summary>
    public static bool DeclaresDoctype(ReadOnlySpan<char> text) =>
        text.IndexOf("<!DOCTYPE", StringComparison.Ordinal) >= 0 || text.IndexOf("<!ENTITY", StringComparison.Ordinal) >= 0;

    public static string Where(XmlException ex) =>
        ex.LineNumber > 0 ? $"line {ex.LineNumber}, position {ex.LinePosition}" : "an unknown position";
}
