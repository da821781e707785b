using System.Text.Json;
using System.Text;
using Xmpp.Client;
using Xmpp.Notifications.Apprise;

namespace Xmpp.Notifications.Tests.Apprise;

public sealed class AppriseXmppUrlTests
{
    [Theory]
    // Apprise tests: "xmpp://bad" (test_xmpp_parse_url_returns_none) has no credentials at all.
    [InlineData("xmpp://bad", AppriseUrlPart.User, null)]
    // Apprise docs (Split Domain) and tests (test_xmpp_server_override_*) use a URL without a password; Apprise
    // accepts it and fails at login. We refuse it up front.
    [InlineData("xmpps://user@example.com/joe?xmpp=xmpp.example.com", AppriseUrlPart.Password, null)]
    [InlineData("xmpps://user@example.com/joe", AppriseUrlPart.Password, null)]
    // Apprise tests: test_xmpp_url_handling, invalid mode.
    [InlineData("xmpps://me:secret@example.com?mode=invalid", AppriseUrlPart.Parameter, "mode")]
    [InlineData("", AppriseUrlPart.Scheme, null)]
    [InlineData("   ", AppriseUrlPart.Scheme, null)]
    [InlineData("http://user:pass@example.ca", AppriseUrlPart.Scheme, null)]
    [InlineData("xmpp:/user:pass@example.ca", AppriseUrlPart.Scheme, null)]
    [InlineData("user:pass@example.ca", AppriseUrlPart.Scheme, null)]
    [InlineData("xmpp://:pass@example.ca", AppriseUrlPart.User, null)]
    [InlineData("xmpp://us%20er:pass@example.ca", AppriseUrlPart.User, null)]
    [InlineData("xmpp://me%40other.org:pass@example.ca", AppriseUrlPart.User, null)]
    [InlineData("xmpp://user:@example.ca", AppriseUrlPart.Password, null)]
    [InlineData("xmpp://user:p%0Ass@example.ca", AppriseUrlPart.Password, null)]
    [InlineData("xmpp://user:pass@", AppriseUrlPart.Host, null)]
    [InlineData("xmpp://user:pass@ex..ca", AppriseUrlPart.Host, null)]
    [InlineData("xmpp://user:pass@ex ample.ca", AppriseUrlPart.Host, null)]
    [InlineData("xmpp://user:pass@[::1", AppriseUrlPart.Host, null)]
    [InlineData("xmpp://user:pass@[zz::1]", AppriseUrlPart.Host, null)]
    [InlineData("xmpp://user:pass@::1", AppriseUrlPart.Host, null)]
    [InlineData("xmpp://user:pass@example.ca:0", AppriseUrlPart.Port, null)]
    [InlineData("xmpp://user:pass@example.ca:65536", AppriseUrlPart.Port, null)]
    [InlineData("xmpp://user:pass@example.ca:abc", AppriseUrlPart.Port, null)]
    [InlineData("xmpp://user:pass@example.ca:", AppriseUrlPart.Port, null)]
    [InlineData("xmpp://user:pass@example.ca?port=99999", AppriseUrlPart.Port, "port")]
    [InlineData("xmpp://user:pass@example.ca?mode=ssl", AppriseUrlPart.Parameter, "mode")]
    [InlineData("xmpp://user:pass@example.ca?verify=maybe", AppriseUrlPart.Parameter, "verify")]
    [InlineData("xmpp://user:pass@example.ca?subject=sometimes", AppriseUrlPart.Parameter, "subject")]
    [InlineData("xmpp://user:pass@example.ca?optional=perhaps", AppriseUrlPart.Parameter, "optional")]
    [InlineData("xmpp://user:pass@example.ca?format=rtf", AppriseUrlPart.Parameter, "format")]
    [InlineData("xmpp://user:pass@example.ca?overflow=drop", AppriseUrlPart.Parameter, "overflow")]
    [InlineData("xmpp://user:pass@example.ca?retry=11", AppriseUrlPart.Parameter, "retry")]
    [InlineData("xmpp://user:pass@example.ca?retry=-1", AppriseUrlPart.Parameter, "retry")]
    [InlineData("xmpp://user:pass@example.ca?retry=two", AppriseUrlPart.Parameter, "retry")]
    [InlineData("xmpp://user:pass@example.ca?wait=20.5", AppriseUrlPart.Parameter, "wait")]
    [InlineData("xmpp://user:pass@example.ca?wait=-1", AppriseUrlPart.Parameter, "wait")]
    [InlineData("xmpp://user:pass@example.ca?wait=NaN", AppriseUrlPart.Parameter, "wait")]
    [InlineData("xmpp://user:pass@example.ca?cto=0", AppriseUrlPart.Parameter, "cto")]
    [InlineData("xmpp://user:pass@example.ca?rto=-2", AppriseUrlPart.Parameter, "rto")]
    [InlineData("xmpp://user:pass@example.ca?rto=1e9", AppriseUrlPart.Parameter, "rto")]
    [InlineData("xmpp://user:pass@example.ca?xmpp=bad%20host", AppriseUrlPart.Parameter, "xmpp")]
    [InlineData("xmpp://user:pass@example.ca?xmpp=host:5222", AppriseUrlPart.Parameter, "xmpp")]
    [InlineData("xmpp://user:pass@example.ca?receipts=maybe", AppriseUrlPart.Parameter, "receipts")]
    [InlineData("xmpp://user:pass@example.ca?subscribe=yes", AppriseUrlPart.Parameter, "subscribe")]
    [InlineData("xmpp://user:pass@example.ca?offline=queue", AppriseUrlPart.Parameter, "offline")]
    [InlineData("xmpp://user:pass@example.ca?recipients=some", AppriseUrlPart.Parameter, "recipients")]
    [InlineData("xmpp://user:pass@example.ca?transport=bosh", AppriseUrlPart.Parameter, "transport")]
    [InlineData("xmpps://user:pass@example.ca?wsurl=https%3A%2F%2Fexample.ca%2Fws", AppriseUrlPart.Parameter, "wsurl")]
    [InlineData("xmpps://user:pass@example.ca?wsurl=%2Fxmpp-websocket", AppriseUrlPart.Parameter, "wsurl")]
    [InlineData("xmpps://user:pass@example.ca?wsurl=ws%3A%2F%2Fexample.ca%2Fws", AppriseUrlPart.Parameter, "wsurl")]
    [InlineData("xmpps://user:pass@example.ca?wsurl=wss%3A%2F%2Fu%3Ap%40example.ca%2Fws", AppriseUrlPart.Parameter, "wsurl")]
    [InlineData("xmpps://user:pass@example.ca?wsurl=wss%3A%2F%2Fexample.ca%2Fws%23x", AppriseUrlPart.Parameter, "wsurl")]
    [InlineData("xmpps://user:pass@example.ca?transport=tcp&wsurl=wss%3A%2F%2Fexample.ca%2Fws", AppriseUrlPart.Parameter, "wsurl")]
    [InlineData("xmpps://user:pass@example.ca?+X-Token=abc", AppriseUrlPart.Parameter, "+X-Token")]
    [InlineData("xmpps://user:pass@example.ca?transport=websocket&+X-Token=", AppriseUrlPart.Parameter, "+X-Token")]
    [InlineData("xmpps://user:pass@example.ca?transport=websocket&+Bad%20Name=x", AppriseUrlPart.Parameter, "+Bad Name")]
    [InlineData("xmpps://user:pass@example.ca?transport=websocket&+Host=evil.example", AppriseUrlPart.Parameter, "+Host")]
    [InlineData("xmpps://user:pass@example.ca?transport=websocket&+Sec-WebSocket-Protocol=chat", AppriseUrlPart.Parameter, "+Sec-WebSocket-Protocol")]
    [InlineData("xmpps://user:pass@example.ca?transport=websocket&+X-Token=a%0D%0AX-Evil:%201", AppriseUrlPart.Parameter, "+X-Token")]
    public void Malformed_urls_name_the_offending_part(string url, AppriseUrlPart part, string? parameter)
    {
        Assert.False(AppriseXmppUrl.TryParse(url, out var plan, out var error));
        Assert.Null(plan);
        Assert.NotNull(error);
        Assert.Equal(part, error.Part);
        Assert.Equal(parameter, error.ParameterName);
        Assert.Contains(parameter ?? part.ToString().ToLowerInvariant(), error.Message, StringComparison.OrdinalIgnoreCase);

        var thrown = Assert.Throws<AppriseUrlException>(() => AppriseXmppUrl.Parse(url));
        Assert.Equal(part, thrown.Part);
        Assert.Equal(parameter, thrown.ParameterName);
    }

    public static TheoryData<string, string> Passwords() => new()
    {
        // raw password, as written in the URL
        { "p%40ss:w/rd", "p%2540ss%3Aw%2Frd" },
        { "p@ss:w/rd", "p%40ss%3Aw%2Frd" },
        { "s3cr#t?&;=x", "s3cr%23t%3F%26%3B%3Dx" },
        { "päss wörd+", "p%C3%A4ss%20w%C3%B6rd+" },
        { "****", "****" },
    };

    [Theory]
    [MemberData(nameof(Passwords))]
    public void Passwords_with_special_characters_are_read_and_never_shown(string password, string written)
    {
        var plan = AppriseXmppUrl.Parse($"xmpps://user:{written}@example.ca/jane?to=%23ops@conference.example.ca");
        Assert.Equal(password, plan.Password);

        if (password != "****")
        {
            Assert.DoesNotContain(password, Visible(plan), StringComparison.Ordinal);
            Assert.DoesNotContain(written, Visible(plan), StringComparison.Ordinal);
        }

        var again = AppriseXmppUrl.Parse(plan.ToUrl(includePassword: true));
        Assert.Equal(password, again.Password);
        Assert.Equal(plan, again);
    }

    [Theory]
    [MemberData(nameof(Passwords))]
    public void Error_messages_never_contain_the_password(string password, string written)
    {
        string[] broken =
        [
            $"xmpps://user:{written}@example.ca?mode=bogus",
            $"xmpps://user:{written}@ex..ca",
            $"xmpps://user:{written}@example.ca:99999",
            $"xmpps://user:{written}@example.ca?retry=99",
            $"xmpps://user:{written}@example.ca?xmpp=a%20b",
            $"ftp://user:{written}@example.ca",
            $"xmpps://us%20er:{written}@example.ca",
        ];
        foreach (var url in broken)
        {
            Assert.False(AppriseXmppUrl.TryParse(url, out _, out var error), url);
            if (password != "****")
            {
                Assert.DoesNotContain(password, error!.Message, StringComparison.Ordinal);
                Assert.DoesNotContain(written, error.Message, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Malformed_password_is_not_echoed()
    {
        // The '/' inside the password is not encoded, so the authority ends early: the message must not quote it.
        Assert.False(AppriseXmppUrl.TryParse("xmpp://user:p%40ss:w/rd@example.ca", out _, out var slash));
        Assert.Equal(AppriseUrlPart.User, slash!.Part);
        foreach (var fragment in new[] { "p%40ss", "p@ss", "ss:w", "w/rd" })
            Assert.DoesNotContain(fragment, slash.Message, StringComparison.Ordinal);

        Assert.False(AppriseXmppUrl.TryParse("xmpp://user:hunter2%00x@example.ca", out _, out var control));
        Assert.Equal(AppriseUrlPart.Password, control!.Part);
        Assert.DoesNotContain("hunter2", control.Message, StringComparison.Ordinal);

        Assert.False(AppriseXmppUrl.TryParse("xmpp://user:hunter2?x=1@example.ca", out _, out var question));
        Assert.DoesNotContain("hunter2", question!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_password_equal_to_the_offending_value_is_scrubbed()
    {
        Assert.False(AppriseXmppUrl.TryParse("xmpp://user:bogus@example.ca?mode=bogus", out _, out var error));
        Assert.Equal("mode", error!.ParameterName);
        Assert.DoesNotContain("bogus", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("o")]
    [InlineData("n")]
    [InlineData("e ")]
    [InlineData("mode")]
    public void A_short_password_is_not_revealed_by_masking_the_message_words(string password)
    {
        // Masking every occurrence of "o" turned "parameter 'mode': 'xyz' is not none" into "'m****de' … n****t n****ne",
        // which spells the password out.
        var url = $"xmpps://alice:{Uri.EscapeDataString(password)}@localhost/bob?mode=xyz";
        Assert.False(AppriseXmppUrl.TryParse(url, out _, out var error));

        Assert.Contains("'xyz' is not none, starttls or tls", error!.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("****", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dry_run_has_exactly_the_documented_keys_and_no_password()
    {
        var plan = AppriseXmppUrl.Parse("xmpps://bot:s3cr%23t@example.ca/jane/@bad?to=%23ops@conference.example.ca&xmpp=xmpp.example.ca&mode=tls&name=Bot_1&cto=2.5");
        var json = DryRun(plan);
        Assert.DoesNotContain("s3cr", json, StringComparison.Ordinal);

        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal(
            ["login_jid", "connect_host", "port", "mode", "verify", "targets", "invalid_targets", "subject", "nick", "scramplus",
             "format", "overflow", "retry", "wait", "optional", "cto", "rto", "receipts", "subscribe", "offline", "recipients", "transport", "url"],
            root.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal("bot@example.ca", root.GetProperty("login_jid").GetString());
        Assert.Equal("xmpp.example.ca", root.GetProperty("connect_host").GetString());
        Assert.Equal(5223, root.GetProperty("port").GetInt32());
        Assert.Equal("tls", root.GetProperty("mode").GetString());
        Assert.True(root.GetProperty("verify").GetBoolean());
        var targets = root.GetProperty("targets").EnumerateArray().ToArray();
        Assert.Equal(2, targets.Length);
        Assert.Equal(["jid", "kind"], targets[0].EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal("jane@example.ca", targets[0].GetProperty("jid").GetString());
        Assert.Equal("chat", targets[0].GetProperty("kind").GetString());
        Assert.Equal("ops@conference.example.ca", targets[1].GetProperty("jid").GetString());
        Assert.Equal("groupchat", targets[1].GetProperty("kind").GetString());
        var invalid = root.GetProperty("invalid_targets").EnumerateArray().Single();
        Assert.Equal(["text", "reason"], invalid.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal("@bad", invalid.GetProperty("text").GetString());
        Assert.Equal("Bot_1", root.GetProperty("nick").GetString());
        Assert.Equal("text", root.GetProperty("format").GetString());
        Assert.Equal("upstream", root.GetProperty("overflow").GetString());
        Assert.Equal(0.5, root.GetProperty("wait").GetDouble());
        Assert.Equal(2.5, root.GetProperty("cto").GetDouble());
        Assert.Equal(4.0, root.GetProperty("rto").GetDouble());
        Assert.Equal(plan.ToString(), root.GetProperty("url").GetString());
        Assert.Contains("****", root.GetProperty("url").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ResolveTargets_splits_on_commas_semicolons_and_whitespace()
    {
        var plan = AppriseXmppUrl.Parse("xmpps://user:pass@example.ca");
        var targets = plan.ResolveTargets(" jane, bob@example.org/phone;#ops@conference.example.ca\tcarol\n%23dev@conf.example.ca  @bad jane ", out var invalid);
        Assert.Equal(
            ["jane@example.ca", "bob@example.org/phone", "#ops@conference.example.ca", "carol@example.ca", "#dev@conf.example.ca"],
            targets.Select(t => t.ToString()).ToArray());
        Assert.Equal(XmppTargetKind.Groupchat, targets[2].Kind);
        Assert.Equal("#ops@conference.example.ca", targets[2].Source);
        Assert.Equal("@bad", Assert.Single(invalid).Text);

        Assert.Empty(plan.ResolveTargets(" ,; ", out var none));
        Assert.Empty(none);
    }

    [Theory]
    // Apprise tests: test_xmpp_normalize_jid (default host example.ca).
    [InlineData("user", "user@example.ca", XmppTargetKind.Chat)]
    [InlineData("user/resource", "user@example.ca/resource", XmppTargetKind.Chat)]
    // Apprise cuts this to user@example.ca/resource; RFC 7622 lets a resource contain '/', so we keep it whole.
    [InlineData("user/resource/extra/crap", "user@example.ca/resource/extra/crap", XmppTargetKind.Chat)]
    [InlineData("user@example.com/r1", "user@example.com/r1", XmppTargetKind.Chat)]
    [InlineData("#room@conference.example.ca", "room@conference.example.ca", XmppTargetKind.Groupchat)]
    [InlineData("%23room@conference.example.ca", "room@conference.example.ca", XmppTargetKind.Groupchat)]
    [InlineData("#room", "room@example.ca", XmppTargetKind.Groupchat)]
    [InlineData("  Bob@Example.ORG  ", "bob@example.org", XmppTargetKind.Chat)]
    public void ResolveTarget_follows_the_path_target_rules(string raw, string jid, XmppTargetKind kind)
    {
        // The xmpp= host never becomes a target's domain.
        var plan = AppriseXmppUrl.Parse("xmpps://user:pass@example.ca?xmpp=xmpp.example.net");
        var target = plan.ResolveTarget(raw);
        Assert.Equal(jid, target.Jid.ToString());
        Assert.Equal(kind, target.Kind);
        Assert.Equal(raw.Trim(), target.Source);
    }

    [Theory]
    // Apprise tests: test_xmpp_normalize_jid, the empty entry.
    [InlineData("")]
    [InlineData("#")]
    [InlineData("@example.org")]
    [InlineData("bob@")]
    [InlineData("bob@a@b")]
    [InlineData("bob/")]
    [InlineData("bob smith")]
    [InlineData("#room@conference.example.ca/nick")]
    [InlineData("bob@ex..org")]
    public void ResolveTarget_rejects_bad_targets_naming_the_target(string raw)
    {
        var plan = AppriseXmppUrl.Parse("xmpps://user:pass@example.ca");
        var e = Assert.Throws<AppriseUrlException>(() => plan.ResolveTarget(raw));
        Assert.Equal(AppriseUrlPart.Target, e.Part);
        Assert.Null(e.ParameterName);
        Assert.Contains("target", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Client_options_carry_the_connection_settings()
    {
        var plan = AppriseXmppUrl.Parse("xmpp://bot:pw@example.ca:5299/jane?xmpp=xmpp.example.net&mode=t&verify=no&scramplus=no&cto=3&rto=9");
        var options = plan.ToClientOptions();
        Assert.Equal("bot@example.ca", options.Jid.ToString());
        Assert.Equal("xmpp.example.net", options.ConnectHost);
        Assert.Equal(5299, options.Port);
        Assert.Equal(SecureSocketOptions.DirectTls, options.Security);
        Assert.False(options.VerifyCertificate);
        Assert.False(options.AllowChannelBinding);
        Assert.Equal(TimeSpan.FromSeconds(3), options.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(9), options.ResponseTimeout);
        Assert.DoesNotContain("pw", options.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Notes_explain_silent_changes()
    {
        var plan = AppriseXmppUrl.Parse("xmpps://user/s3kr1t@example.ca/%23ops?mode=none&keepalive=yes&name=bad-name&xep=30");
        Assert.Equal(XmppSecurityMode.StartTls, plan.Mode);
        Assert.Contains(plan.Notes, n => n.Contains("legacy", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(plan.Notes, n => n.Contains("STARTTLS", StringComparison.Ordinal));
        Assert.Contains(plan.Notes, n => n.Contains("keepalive", StringComparison.Ordinal));
        Assert.Contains(plan.Notes, n => n.Contains("bad-name", StringComparison.Ordinal));
        Assert.Contains(plan.Notes, n => n.Contains("xep", StringComparison.Ordinal));
        Assert.Contains(plan.Notes, n => n.Contains("ops@example.ca", StringComparison.Ordinal));
        Assert.Equal(["xep"], plan.IgnoredParameters.ToArray());
        Assert.All(plan.Notes, n => Assert.DoesNotContain("s3kr1t", n, StringComparison.Ordinal));
    }

    [Fact]
    public void Plans_differing_in_one_field_are_not_equal()
    {
        var a = AppriseXmppUrl.Parse("xmpps://user:pass@example.ca/jane");
        Assert.Equal(a, AppriseXmppUrl.Parse("xmpps://user:pass@example.ca/Jane"));
        Assert.NotEqual(a, AppriseXmppUrl.Parse("xmpps://user:pass2@example.ca/jane"));
        Assert.NotEqual(a, AppriseXmppUrl.Parse("xmpps://user:pass@example.ca/%23jane"));
        Assert.NotEqual(a, AppriseXmppUrl.Parse("xmpps://user:pass@example.ca/jane?wait=0.6"));
        Assert.NotEqual(a, AppriseXmppUrl.Parse("xmpps://user:pass@example.ca/jane?rto=5"));
    }

    private static string Visible(AppriseXmppUrl plan) =>
        string.Join("\n", plan.ToString(), plan.ToUrl(false), DryRun(plan), string.Join("\n", plan.Notes), plan.ToClientOptions().ToString());

    private static string DryRun(AppriseXmppUrl plan)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
            plan.WriteDryRun(writer);
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
