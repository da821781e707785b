using Xmpp.Client;
using Xmpp.Notifications.Apprise;

namespace Xmpp.Notifications.Tests.Notifier;

/// <summary>
/// What the notifier plans to send before it connects: one stanza per target and part, ids unique within the session,
/// bodies composed as Apprise composes them (title, format, overflow), and the caps counted over that plan.
/// </summary>
public sealed class MessagePlanTests
{
    private const int Limit = AppriseXmppUrl.MaxBodyLength;

    private static AppriseXmppUrl Url(string rest = "bob", string query = "") =>
        AppriseXmppUrl.Parse($"xmpp://alice:pw@example.org/{rest}{(query.Length > 0 ? "?" + query : "")}");

    private static IReadOnlyList<ComposedMessage> Compose(string query, Notification notification) => MessageComposer.Compose(Url(query: query), notification);

    [Fact]
    public void Every_target_gets_every_part_and_rooms_get_groupchat()
    {
        var plan = XmppNotifier.Plan(Url("bob/%23ops@conference.example.org", "overflow=split"),
            [new(null, new string('a', Limit) + new string('b', 10)) { Type = MessageType.Normal, ExtensionXml = "<x xmlns='urn:example'/>" }]);

        Assert.Equal(4, plan.Messages.Count);
        Assert.Empty(plan.InvalidTargets);
        Assert.Equal(["bob@example.org", "bob@example.org", "ops@conference.example.org", "ops@conference.example.org"], plan.Messages.Select(m => m.Target.Jid.ToString()));
        Assert.Equal([MessageType.Normal, MessageType.Normal, MessageType.Groupchat, MessageType.Groupchat], plan.Messages.Select(m => m.Type));
        Assert.Equal([0, 1, 0, 1], plan.Messages.Select(m => m.Part));
        Assert.All(plan.Messages, m => Assert.Equal("<x xmlns='urn:example'/>", m.ExtensionXml));
        Assert.All(plan.Messages, m => Assert.Null(m.Id));
        Assert.Equal(new string('b', 10), plan.Messages[1].Content.Body);
    }

    [Fact]
    public void A_notifications_own_id_goes_on_its_first_stanza_and_numbered_copies_on_the_others_without_clashing()
    {
        var plan = XmppNotifier.Plan(Url("bob/carol"), [new(null, "x") { Id = "n" }, new(null, "y") { Id = "n-2" }, new(null, "z")]);

        Assert.Equal(["n", "n-2", "n-2-2", "n-2-3", null, null], plan.Messages.Select(m => m.Id));
    }

    [Fact]
    public void Own_targets_replace_the_urls_and_their_invalid_ones_are_reported_once()
    {
        var url = Url("bob/a@@b");
        var plan = XmppNotifier.Plan(url, [new(null, "1") { Targets = ["carol", "x@@y"] }, new(null, "2") { Targets = ["dave", "x@@y"] }, new(null, "3")]);

        Assert.Equal(["carol@example.org", "dave@example.org", "bob@example.org"], plan.Messages.Select(m => m.Target.Jid.ToString()));
        Assert.Equal(["x@@y", "a@@b"], plan.InvalidTargets.Select(t => t.Target));
        Assert.All(plan.InvalidTargets, t =>
        {
            Assert.Equal(TargetStatus.Failed, t.Status);
            Assert.Equal(NotifyFailureKind.Rejected, t.Failure);
            Assert.Contains("'@'", t.Error, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void A_body_of_exactly_the_limit_is_one_message_with_its_xhtml_and_one_more_character_is_not()
    {
        var exact = Compose("format=markdown&overflow=split", new(null, new string('x', Limit)));
        var message = Assert.Single(exact);
        Assert.Equal(Limit, message.Body.Length);
        Assert.NotNull(message.XhtmlBody);

        var over = Compose("format=markdown&overflow=split", new(null, new string('x', Limit + 1)));
        Assert.Equal(2, over.Count);
        Assert.All(over, m => Assert.Null(m.XhtmlBody));
    }

    [Fact]
    public void Overflow_truncate_cuts_at_the_limit_and_drops_the_xhtml_upstream_sends_it_whole()
    {
        var body = new string('x', Limit + 5);
        var truncated = Assert.Single(Compose("overflow=truncate&subject=yes", new("T", body) { Format = NotifyFormat.Markdown }));
        Assert.Equal(Limit, truncated.Body.Length);
        Assert.Null(truncated.XhtmlBody);
        Assert.Equal("T", truncated.Subject);

        var upstream = Assert.Single(Compose("subject=yes", new("T", body) { Format = NotifyFormat.Markdown }));
        Assert.Equal(Limit + 5, upstream.Body.Length);
        Assert.NotNull(upstream.XhtmlBody);
        Assert.Equal("T", upstream.Subject);
    }

    [Fact]
    public void A_split_body_carries_the_subject_on_its_first_chunk_only()
    {
        var chunks = Compose("overflow=split&subject=yes", new("Alert", new string('x', Limit * 2 + 1)));

        Assert.Equal(3, chunks.Count);
        Assert.Equal(["Alert", null, null], chunks.Select(c => c.Subject));
        Assert.Equal(Limit * 2 + 1, chunks.Sum(c => c.Body.Length));
    }

    [Fact]
    public void Subject_no_puts_the_title_on_the_first_line_of_the_text_and_of_the_xhtml()
    {
        var message = Assert.Single(Compose("format=markdown", new(" <Disk> ", "**full**")));

        Assert.Null(message.Subject);
        Assert.Equal("<Disk>\r\nfull", message.Body);
        Assert.StartsWith("<p><strong>&lt;Disk&gt;</strong></p>", message.XhtmlBody, StringComparison.Ordinal);
        Assert.Contains("<strong>full</strong>", message.XhtmlBody, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void No_title_leaves_the_body_alone(string? title)
    {
        var message = Assert.Single(Compose("subject=yes", new(title, "body")));
        Assert.Null(message.Subject);
        Assert.Equal("body", message.Body);
        Assert.Null(message.XhtmlBody);
    }

    [Fact]
    public void The_messages_own_format_wins_over_the_urls_and_text_takes_the_urls()
    {
        Assert.Null(Assert.Single(Compose("format=text", new(null, "*a*"))).XhtmlBody);
        Assert.Contains("<em>a</em>", Assert.Single(Compose("format=markdown", new(null, "*a*"))).XhtmlBody, StringComparison.Ordinal);
        Assert.Contains("<em>a</em>", Assert.Single(Compose("format=text", new(null, "*a*") { Format = NotifyFormat.Markdown })).XhtmlBody, StringComparison.Ordinal);
        var html = Assert.Single(Compose("format=markdown", new(null, "<b>a</b> *b*") { Format = NotifyFormat.Html }));
        Assert.Contains("<strong>a</strong>", html.XhtmlBody, StringComparison.Ordinal);
        Assert.Equal("a *b*", html.Body);
    }

    [Fact]
    public void Control_characters_and_colour_codes_are_removed_from_title_and_body()
    {
        var message = Assert.Single(Compose("subject=yes", new("T\u0001itle", "a\u001b[31mred\u001b[0m\u0002b")));
        Assert.Equal("Title", message.Subject);
        Assert.Equal("aredb", message.Body);
    }

    [Fact]
    public void Split_prefers_a_line_break_then_a_space_in_the_second_half_of_the_window()
    {
        Assert.Equal(["aaaaaa\n", "bbb"], MessageComposer.Split("aaaaaa\nbbb", 8));
        Assert.Equal(["aaaaa ", "bbb"], MessageComposer.Split("aaaaa bbb", 8));
        // A line break in the first half would make a short chunk: the space after it is taken.
        Assert.Equal(["a\nbbbb ", "cc"], MessageComposer.Split("a\nbbbb cc", 8));
        // Break exactly at half the window is used; before it, the cut is hard.
        Assert.Equal(["aaaa ", "bbbbbb"], MessageComposer.Split("aaaa bbbbbb", 8));
        Assert.Equal(["aaa bbbb", "bbb"], MessageComposer.Split("aaa bbbbbbb", 8));
        Assert.Equal(["aaaaaaaa", "aa"], MessageComposer.Split("aaaaaaaaaa", 8));
        Assert.Equal(["aaaa\n", "bbbbbb"], MessageComposer.Split("aaaa\nbbbbbb", 8));
        // A text of exactly the limit is one chunk, whatever breaks it holds.
        Assert.Equal(["aaaaa\nbb"], MessageComposer.Split("aaaaa\nbb", 8));
    }

    [Fact]
    public void Split_never_cuts_a_surrogate_pair_and_returns_exact_fits_whole()
    {
        var chunks = MessageComposer.Split("aaaaaaa\U0001F600bb", 8).ToList();
        Assert.Equal(["aaaaaaa", "\U0001F600bb"], chunks);
        Assert.Equal(["12345678"], MessageComposer.Split("12345678", 8));
        Assert.Equal(["12345678", "9"], MessageComposer.Split("123456789", 8));
        Assert.Empty(MessageComposer.Split("", 8));
    }

    [Fact]
    public void A_recipient_counts_once_however_many_parts_its_body_was_split_into()
    {
        var options = new XmppNotifierOptions { MaxRecipientsPerCall = 2 };
        var big = new Notification(null, new string('x', Limit * 3));
        Assert.Null(XmppNotifier.ExceedsLimits(["xmpp://alice:pw@example.org/bob/carol?overflow=split"], [big], options));
        Assert.Contains("3 recipients", XmppNotifier.ExceedsLimits(["xmpp://alice:pw@example.org/bob/carol/dave?overflow=split"], [big], options), StringComparison.Ordinal);
    }

    [Fact]
    public void The_byte_cap_counts_utf8_of_body_subject_xhtml_extension_and_recipient_and_allows_its_exact_size()
    {
        const string url = "xmpp://alice:pw@example.org/bob?subject=yes";
        var notification = new Notification("é", "ab") { ExtensionXml = "<x xmlns='u'/>" };
        // "é" 2 bytes + "ab" 2 + extension 14 + "bob@example.org" 15 = 33.
        Assert.Null(XmppNotifier.ExceedsLimits([url], [notification], new XmppNotifierOptions { MaxStanzaBytesPerCall = 33 }));
        Assert.Contains("33 bytes", XmppNotifier.ExceedsLimits([url], [notification], new XmppNotifierOptions { MaxStanzaBytesPerCall = 32 }), StringComparison.Ordinal);

        var xhtml = new Notification(null, "*a*") { Format = NotifyFormat.Markdown };
        var composed = Assert.Single(MessageComposer.Compose(AppriseXmppUrl.Parse(url), xhtml));
        var size = 1 + System.Text.Encoding.UTF8.GetByteCount(composed.XhtmlBody!) + 15;
        Assert.Null(XmppNotifier.ExceedsLimits([url], [xhtml], new XmppNotifierOptions { MaxStanzaBytesPerCall = size }));
        Assert.NotNull(XmppNotifier.ExceedsLimits([url], [xhtml], new XmppNotifierOptions { MaxStanzaBytesPerCall = size - 1 }));
    }

    [Fact]
    public void The_recipient_caps_allow_their_exact_size()
    {
        var options = new XmppNotifierOptions { MaxRecipientsPerNotification = 2, MaxRecipientsPerCall = 3 };
        Notification To(params string[] targets) => new(null, "x") { Targets = targets };

        Assert.Null(XmppNotifier.ExceedsRecipientLimits([To("a", "b"), To("c")], options));
        Assert.Contains("names 3 recipients (the 3th is 'c')", XmppNotifier.ExceedsRecipientLimits([To("a", "b", "c")], options), StringComparison.Ordinal);
        // Case does not make another recipient; a notification without own targets names none.
        Assert.Null(XmppNotifier.ExceedsRecipientLimits([To("a", "A", "b"), new(null, "x"), new(null, "x") { Targets = [] }, To("c")], options));
        Assert.Contains("4 recipients or more", XmppNotifier.ExceedsRecipientLimits([To("a", "b"), To("c", "d")], options), StringComparison.Ordinal);
        Assert.StartsWith("notification 2 names 3 recipients", XmppNotifier.ExceedsRecipientLimits([To("a"), To("b", "c", "d")], options), StringComparison.Ordinal);

        Assert.Null(XmppNotifier.ExceedsLimits(["xmpp://alice:pw@example.org/a/b/c"], [new(null, "x")], options));
        Assert.NotNull(XmppNotifier.ExceedsLimits(["xmpp://alice:pw@example.org/a/b/c/d"], [new(null, "x")], options));
        // Over every URL of the call, a URL that does not parse counting nothing.
        Assert.NotNull(XmppNotifier.ExceedsLimits(["xmpp://alice:pw@example.org/a/b", "not a url", "xmpp://alice:pw@example.net/c/d"], [new(null, "x")], options));
        Assert.Null(XmppNotifier.ExceedsLimits(["xmpp://alice:pw@example.org/a/b", "not a url", "xmpp://alice:pw@example.net/c"], [new(null, "x")], options));
    }

    [Fact]
    public void Several_deliveries_of_one_invocation_are_counted_as_a_whole_and_a_url_repeated_in_one_counts_once()
    {
        var options = new XmppNotifierOptions { MaxRecipientsPerCall = 3, MaxRecipientsPerNotification = 2 };
        IReadOnlyList<string> two = ["xmpp://alice:pw@example.org/a/b", "xmpp://alice:pw@example.org/a/b"];
        IReadOnlyList<Notification> one = [new(null, "x")];

        Assert.Null(XmppNotifier.ExceedsLimits([(two, one)], options));
        Assert.Contains("4 recipients", XmppNotifier.ExceedsLimits([(two, one), (two, one)], options), StringComparison.Ordinal);
        // Own targets are counted over every delivery's notifications before any URL is read.
        IReadOnlyList<Notification> own = [new(null, "x") { Targets = ["c", "d"] }];
        Assert.Contains("recipients or more", XmppNotifier.ExceedsLimits([(["not a url"], own), (["not a url"], own)], options), StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => XmppNotifier.ExceedsLimits(null!, options));
        Assert.Throws<ArgumentNullException>(() => XmppNotifier.ExceedsLimits([(two, one)], null!));
    }

    [Fact]
    public void Recipients_domain_allows_the_accounts_domain_and_its_subdomains_only()
    {
        var options = new XmppNotifierOptions { Recipients = RecipientPolicy.Domain };
        string? Check(string target) => XmppNotifier.ExceedsLimits(["xmpp://alice:pw@example.org/bob"], [new(null, "x") { Targets = [target] }], options);

        Assert.Null(Check("carol@EXAMPLE.org"));
        Assert.Null(Check("carol@a.example.org"));
        Assert.Null(Check("carol"));
        Assert.NotNull(Check("carol@xexample.org"));
        Assert.NotNull(Check("carol@org"));
        Assert.NotNull(Check("carol@example.org.evil"));
        Assert.NotNull(Check("carol@x.aaaaaaaaaaa"));
        var refusal = Check("mallory@evil.example");
        Assert.Equal("the recipient 'mallory@evil.example' is not allowed: recipients=domain allows only example.org and its subdomains (allowedRecipientDomains); nothing was sent.", refusal);
        var listed = new XmppNotifierOptions { Recipients = RecipientPolicy.Domain, AllowedRecipientDomains = ["partner.example", "b.example"] };
        Assert.Equal("the recipient 'x@evil.example' is not allowed: recipients=domain allows only example.org and its subdomains and partner.example, b.example (allowedRecipientDomains); nothing was sent.",
            XmppNotifier.ExceedsLimits(["xmpp://alice:pw@example.org/bob"], [new(null, "x") { Targets = ["x@evil.example"] }], listed));
        // Without the binding's default, anything goes; recipients=url allows the URL's own targets, by bare JID.
        Assert.Null(XmppNotifier.ExceedsLimits(["xmpp://alice:pw@example.org/bob"], [new(null, "x") { Targets = ["x@evil.example"] }], new XmppNotifierOptions()));
        Assert.Null(XmppNotifier.ExceedsLimits(["xmpp://alice:pw@example.org/bob?recipients=url"], [new(null, "x") { Targets = ["bob/phone"] }], new XmppNotifierOptions()));
        Assert.Equal("the recipient 'carol@example.org' is not allowed: recipients=url allows only the URL's own targets; nothing was sent.",
            XmppNotifier.ExceedsLimits(["xmpp://alice:pw@example.org/bob?recipients=url"], [new(null, "x") { Targets = ["carol"] }], new XmppNotifierOptions()));
    }

    [Fact]
    public async Task A_refused_call_names_every_url_redacted_and_an_invalid_url_is_its_own_outcome()
    {
        var notifier = new XmppNotifier(options: new XmppNotifierOptions { MaxRecipientsPerCall = 1 });
        var refused = await notifier.NotifyAsync(["xmpp://alice:Secret1@example.org/a/b", "xmpp://alice:Secret1@example.org/a/b", "xmpp://bob:Secret2@example.net/c"], [new(null, "x")], CancellationToken.None);
        Assert.Equal(2, refused.Urls.Count);
        Assert.All(refused.Urls, u =>
        {
            Assert.Equal(NotifyFailureKind.Rejected, u.Failure);
            Assert.Empty(u.Targets);
            Assert.DoesNotContain("Secret", u.Url, StringComparison.Ordinal);
        });

        var invalid = await new XmppNotifier().NotifyAsync(["xmpp://alice:Secret3@example.org:0/a"], [new(null, "x")], CancellationToken.None);
        var outcome = Assert.Single(invalid.Urls);
        Assert.Equal(NotifyFailureKind.InvalidUrl, outcome.Failure);
        Assert.False(outcome.Optional);
        Assert.Contains("port", outcome.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Secret3", outcome.Url + outcome.Error, StringComparison.Ordinal);

        await Assert.ThrowsAsync<ArgumentNullException>(() => new XmppNotifier().NotifyAsync(null!, [], CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentNullException>(() => new XmppNotifier().NotifyAsync([], null!, CancellationToken.None));
        Assert.Throws<ArgumentNullException>(() => XmppNotifier.ExceedsRecipientLimits(null!, new XmppNotifierOptions()));
        Assert.Throws<ArgumentNullException>(() => XmppNotifier.ExceedsRecipientLimits([], null!));
    }
}
