using Xmpp.Notifications.Formatting;

namespace Xmpp.Notifications.Tests.Formatting;

public sealed class XmlSafeTextTests
{
    [Theory]
    [InlineData("plain text ✓ 📱", "plain text ✓ 📱")]
    [InlineData("tab\tlf\ncr\r", "tab\tlf\ncr\r")]
    [InlineData("a\u0001b", "ab")]
    [InlineData("\u0000nul\u0008bs\u000Bvt\u000Cff\u001Fus", "nulbsvtffus")]
    [InlineData("a\uFFFEb\uFFFFc", "abc")]
    [InlineData("pair \uD83D\uDCF1 kept", "pair \uD83D\uDCF1 kept")]
    // Coloured terminal output: whole escape sequences go, not just the ESC that would leave "[31m" behind.
    [InlineData("\u001B[31mERROR\u001B[0m disk full", "ERROR disk full")]
    [InlineData("\u001B[1;38;5;208mbold orange\u001B[m", "bold orange")]
    [InlineData("\u001B[2K\u001B[1Gprogress 100%", "progress 100%")]
    // OSC 8 hyperlink and a window title, ended by ST or BEL.
    [InlineData("\u001B]8;;https://example.org\u001B\\link\u001B]8;;\u001B\\ text", "link text")]
    [InlineData("\u001B]0;title\u0007after", "after")]
    [InlineData("\u001B(Bcharset", "charset")]
    [InlineData("\u001B7save\u001B8", "save")]
    [InlineData("trailing escape \u001B", "trailing escape ")]
    [InlineData("unterminated \u001B[12", "unterminated ")]
    [InlineData("unterminated osc \u001B]0;no end", "unterminated osc ")]
    public void Removes_what_xml_cannot_carry(string input, string expected)
    {
        Assert.Equal(expected, XmlSafeText.Clean(input));
    }

    [Fact]
    public void Lone_surrogates_become_replacement_characters()
    {
        // Built in code: a lone surrogate does not survive in attribute arguments.
        var high = (char)0xD800;
        var low = (char)0xDC00;
        Assert.Equal("a\uFFFDb\uFFFDc\uFFFD", XmlSafeText.Clean($"a{high}b{low}c{high}"));
        Assert.Equal("x\uFFFD\uFFFDy", XmlSafeText.Clean($"x{low}{low}y"));
    }

    [Fact]
    public void Clean_text_is_returned_as_is()
    {
        const string text = "nothing to do here\n";
        Assert.Same(text, XmlSafeText.Clean(text));
    }

    [Fact]
    public void Every_result_can_be_written_as_xml()
    {
        var all = new string(Enumerable.Range(0, 0x10000).Select(i => (char)i).ToArray());
        var cleaned = XmlSafeText.Clean(all);
        // XmlConvert accepts exactly XML 1.0 Chars; a surrogate pair is checked as a pair.
        System.Xml.XmlConvert.VerifyXmlChars(cleaned);
    }
}
