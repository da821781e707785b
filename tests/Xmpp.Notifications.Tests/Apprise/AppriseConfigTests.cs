using Xmpp.Notifications.Apprise;

namespace Xmpp.Notifications.Tests.Apprise;

public class AppriseConfigTests
{
    private static string Describe(IReadOnlyList<TaggedUrl> urls) =>
        string.Join(" | ", urls.Select(u => $"{u.Url} [{string.Join(",", u.Tags.Order(StringComparer.Ordinal))}]"));

    [Fact]
    public void TextFormatWithTagsAndComments()
    {
        var urls = AppriseConfig.Parse("""
            # ops team
            ; also a comment
            xmpps://alice:pw@example.org/bob

            ops, db=xmpps://alice:p%3Dw@example.org/#ops@conference.example.org?subject=yes
            ops devops = xmpps://alice:pw@example.org/carol
            """, "the test config");

        Assert.Equal(
            "xmpps://alice:pw@example.org/bob [] | xmpps://alice:p%3Dw@example.org/#ops@conference.example.org?subject=yes [db,ops] | xmpps://alice:pw@example.org/carol [devops,ops]",
            Describe(urls));
    }

    [Fact]
    public void QueryEqualsSignIsNotATag()
    {
        var url = Assert.Single(AppriseConfig.Parse("xmpps://alice:pw@example.org/bob?to=carol&subject=yes", "x"));

        Assert.Empty(url.Tags);
        Assert.False(AppriseConfig.IsConfiguration("xmpps://alice:pw@example.org/bob?to=carol"));
        Assert.True(AppriseConfig.IsConfiguration("ops=xmpps://alice:pw@example.org/bob"));
        Assert.True(AppriseConfig.IsConfiguration("urls:\n  - xmpps://a:b@c/d"));
    }

    [Fact]
    public void YamlFormatAsAppriseDocumentsIt()
    {
        var urls = AppriseConfig.Parse("""
            version: 1
            # global tag, added to every URL
            tag: xmpp
            urls:
              - xmpps://alice:pw@example.org/bob
              - "xmpps://alice:pw@example.org/#ops@conference.example.org"   # a room, not a comment
              - xmpps://alice:pw@example.org/carol:
                  tag: ops, db
              - xmpps://alice:pw@example.org:
                  - tag: [devops]
                    to: dave
                  - tags:
                      - audit
                      - "sec"
                    subject: 'yes'
            """, "the test config");

        Assert.Equal(
            "xmpps://alice:pw@example.org/bob [xmpp] | xmpps://alice:pw@example.org/#ops@conference.example.org [xmpp] | xmpps://alice:pw@example.org/carol [db,ops,xmpp] | " +
            "xmpps://alice:pw@example.org?to=dave [devops,xmpp] | xmpps://alice:pw@example.org?subject=yes [audit,sec,xmpp]",
            Describe(urls));
    }

    [Theory]
    [InlineData("hello world", "Line 1 of cfg is neither a URL nor 'tags=URL'")]
    [InlineData("include https://example.org/other.cfg", "Line 1 of cfg is an include; includes are not supported")]
    [InlineData("urls:\n  - https://x\nother: 1", "Line 3 of cfg has a key other than version, tag or urls.")]
    [InlineData("version: 2\nurls:\n  - xmpps://a:b@c/d", "Line 1 of cfg gives a version other than 1")]
    [InlineData("urls:\n  - not a url", "Line 2 of cfg lists something that is not a URL")]
    [InlineData("urls:\n  - xmpps://a:b@c/d:\n      tag: {a: b}", "Line 3 of cfg uses YAML syntax this reader does not support")]
    [InlineData("urls:\n  - \"xmpps://a:secret@c/d", "Line 2 of cfg opens a quoted string without closing it")]
    [InlineData("version: 1", "cfg is YAML without 'urls:'")]
    public void BadConfigurationsNameTheLineNotItsText(string text, string expected)
    {
        var ex = Assert.Throws<AppriseConfigException>(() => AppriseConfig.Parse(text, "cfg"));

        Assert.StartsWith(expected, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("a:b", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TaggedUrlToStringHidesThePassword()
    {
        var url = Assert.Single(AppriseConfig.Parse("ops=xmpps://alice:hunter2@example.org/bob", "x"));

        Assert.DoesNotContain("hunter2", url.ToString(), StringComparison.Ordinal);
        Assert.EndsWith("[ops]", url.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void TooManyUrlsAreRefused()
    {
        var text = string.Join('\n', Enumerable.Range(0, AppriseConfig.MaxUrls + 1).Select(i => $"xmpps://a:b@c/u{i}"));

        Assert.Contains("at most 100", Assert.Throws<AppriseConfigException>(() => AppriseConfig.Parse(text, "x")).Message, StringComparison.Ordinal);
    }
}

public class AppriseTagFilterTests
{
    private static readonly TaggedUrl[] Urls =
    [
        new("xmpp://u:p@h/untagged"),
        new("xmpp://u:p@h/ops", ["ops"]),
        new("xmpp://u:p@h/ops-db", ["ops", "db"]),
        new("xmpp://u:p@h/dev", ["DEV"]),
        new("xmpp://u:p@h/always", ["always"]),
    ];

    private static string Selected(AppriseTagFilter filter) =>
        string.Join(",", filter.Select(Urls).Select(u => u.Url[(u.Url.LastIndexOf('/') + 1)..]));

    [Fact]
    public void NoTagSelectsTheUntaggedOnly() => Assert.Equal("untagged", Selected(AppriseTagFilter.FromOptions([])));

    [Fact]
    public void SeveralOptionsAreAnyOf() => Assert.Equal("ops,ops-db,dev,always", Selected(AppriseTagFilter.FromOptions(["ops", "dev"])));

    [Fact]
    public void CommaInsideOneOptionIsAllOf() => Assert.Equal("ops-db,always", Selected(AppriseTagFilter.FromOptions(["ops,db"])));

    [Fact]
    public void AllSelectsEveryUrl() => Assert.Equal("untagged,ops,ops-db,dev,always", Selected(AppriseTagFilter.FromOptions(["all"])));

    [Fact]
    public void TagsIgnoreCase() => Assert.Equal("dev,always", Selected(AppriseTagFilter.FromOptions(["dev"])));

    [Fact]
    public void SemicolonSeparatesAlternativesInOneBindingValue() => Assert.Equal("ops-db,dev,always", Selected(AppriseTagFilter.FromOptions(["db;dev"])));

    [Theory]
    [InlineData("ops, dev", "ops,ops-db,dev,always")]
    [InlineData("ops db", "ops-db,always")]
    [InlineData("ops db, dev", "ops-db,dev,always")]
    [InlineData("", "untagged")]
    public void ApiExpressionCommaIsAnySpaceIsAll(string expression, string expected) =>
        Assert.Equal(expected, Selected(AppriseTagFilter.FromApiExpression(expression)));

    [Fact]
    public void BadTagIsRefused() =>
        Assert.Throws<ArgumentException>(() => AppriseTagFilter.FromOptions(["ops=xmpp://"]));
}
