namespace Xmpp.Client.Tests.Addressing;

public sealed class JidTests
{
    [Theory]
    [InlineData("alice@example.org", "alice", "example.org", null)]
    [InlineData("alice@example.org/phone", "alice", "example.org", "phone")]
    [InlineData("example.org", null, "example.org", null)]
    [InlineData("example.org/service", null, "example.org", "service")]
    [InlineData("Alice@Example.ORG/Phone", "alice", "example.org", "Phone")]
    [InlineData("alice@example.org./r", "alice", "example.org", "r")]
    [InlineData("room@conference.example.org/nick/with/slashes", "room", "conference.example.org", "nick/with/slashes")]
    [InlineData("user@[::1]", "user", "[::1]", null)]
    [InlineData("user@127.0.0.1", "user", "127.0.0.1", null)]
    [InlineData("jürgen@bücher.example", "jürgen", "xn--bcher-kva.example", null)]
    [InlineData("a@b/c@d", "a", "b", "c@d")]
    public void Parses_and_normalizes(string text, string? local, string domain, string? resource)
    {
        var jid = Jid.Parse(text);
        Assert.Equal(local, jid.Local);
        Assert.Equal(domain, jid.Domain);
        Assert.Equal(resource, jid.Resource);
    }

    [Theory]
    [InlineData("", JidPart.Domain)]
    [InlineData("@example.org", JidPart.Local)]
    [InlineData("alice@", JidPart.Domain)]
    [InlineData("alice@example.org/", JidPart.Resource)]
    [InlineData("al ice@example.org", JidPart.Local)]
    [InlineData("al<ice@example.org", JidPart.Local)]
    [InlineData("a@b@example.org", JidPart.Domain)]
    [InlineData("alice@exa mple.org", JidPart.Domain)]
    [InlineData("alice@example..org", JidPart.Domain)]
    [InlineData("alice@[not-an-ip]", JidPart.Domain)]
    [InlineData("alice@example.org/bad\u0001resource", JidPart.Resource)]
    [InlineData("al\u0001ice@example.org", JidPart.Local)]
    [InlineData("al\u001Bice@example.org", JidPart.Local)]
    [InlineData("al\uFFFEice@example.org", JidPart.Local)]
    [InlineData("alice\uFFFF@example.org", JidPart.Local)]
    [InlineData("al\uFDD0ice@example.org", JidPart.Local)]
    [InlineData("alice@example.org/\uFFFE", JidPart.Resource)]
    [InlineData("alice@exa\u0001mple.org", JidPart.Domain)]
    [InlineData("alice@example.org/\U0001FFFE", JidPart.Resource)]
    public void Rejects_with_the_offending_part(string text, JidPart part)
    {
        var error = Assert.Throws<JidFormatException>(() => Jid.Parse(text));
        Assert.Equal(part, error.Part);
        var named = text.Length == 0 ? "empty" : part switch { JidPart.Local => "localpart", JidPart.Domain => "domain", _ => "resource" };
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.False(Jid.TryParse(text, out _));
    }

    [Fact]
    public void Overlong_localpart_is_rejected()
    {
        var error = Assert.Throws<JidFormatException>(() => Jid.Parse(new string('a', 1024) + "@example.org"));
        Assert.Equal(JidPart.Local, error.Part);
    }

    [Fact]
    public void Overlong_label_is_rejected()
    {
        var error = Assert.Throws<JidFormatException>(() => Jid.Parse("a@" + new string('b', 64) + ".org"));
        Assert.Equal(JidPart.Domain, error.Part);
    }

    [Fact]
    public void Equality_follows_normalization_and_bare_drops_the_resource()
    {
        var a = Jid.Parse("Alice@EXAMPLE.org/Phone");
        var b = Jid.Parse("alice@example.org/Phone");
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, Jid.Parse("alice@example.org/phone"));
        Assert.Equal("alice@example.org", a.Bare.ToString());
        Assert.True(a.Bare.IsBare);
        Assert.Equal("alice@example.org/tablet", a.WithResource("tablet").ToString());
    }

    [Fact]
    public void Create_refuses_separators_inside_the_localpart()
    {
        Assert.Equal("bob@example.org", Jid.Create("bob", "example.org").ToString());
        Assert.Equal(JidPart.Local, Assert.Throws<JidFormatException>(() => Jid.Create("bob@evil", "example.org")).Part);
    }

    [Fact]
    public void Nfc_normalizes_the_localpart()
    {
        // "é" as e + combining acute and as one code point are the same user.
        Assert.Equal(Jid.Parse("caf\u00e9@example.org"), Jid.Parse("cafe\u0301@example.org"));
    }

    [Fact]
    public void A_rejected_jid_is_shown_with_its_unprintable_characters_escaped()
    {
        var error = Assert.Throws<JidFormatException>(() => Jid.Parse("al\u001B[31mice@example.org"));
        Assert.Contains("al\\u001B[31mice@example.org", error.Message, StringComparison.Ordinal);
        Assert.Contains("U+001B", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001B', error.Message);
    }

    [Fact]
    public void Lone_surrogates_are_rejected_in_every_part()
    {
        // Built in code: a lone surrogate does not survive in attribute arguments.
        var high = ((char)0xD800).ToString();
        var low = ((char)0xDC00).ToString();
        Assert.Equal(JidPart.Local, Assert.Throws<JidFormatException>(() => Jid.Parse($"al{high}ice@example.org")).Part);
        Assert.Equal(JidPart.Resource, Assert.Throws<JidFormatException>(() => Jid.Parse($"alice@example.org/r{low}")).Part);
        Assert.Contains("lone surrogate U+DC00", Assert.Throws<JidFormatException>(() => Jid.Parse($"alice@example.org/r{low}")).Message, StringComparison.Ordinal);
        Assert.Equal(JidPart.Domain, Assert.Throws<JidFormatException>(() => Jid.Parse($"alice@ex{low}{high}ample.org")).Part);
    }

    [Fact]
    public void Emoji_in_a_resource_are_kept()
    {
        Assert.Equal("phone 📱", Jid.Parse("alice@example.org/phone 📱").Resource);
    }
}
