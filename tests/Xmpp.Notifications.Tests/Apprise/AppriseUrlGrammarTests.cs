using Xmpp.Client;
using Xmpp.Notifications.Apprise;

namespace Xmpp.Notifications.Tests.Apprise;

/// <summary>
/// The edges of the URL grammar, each on both sides: parameters without '=', bracketed IPv6 hosts and server
/// overrides, the ranges of the seconds and retry parameters, ports, and Apprise's lenient spellings.
/// </summary>
public sealed class AppriseUrlGrammarTests
{
    private static AppriseXmppUrl Parse(string rest) => AppriseXmppUrl.Parse("xmpp://alice:pw@example.org" + rest);

    private static AppriseUrlException Refused(string rest) => Assert.Throws<AppriseUrlException>(() => Parse(rest));

    [Fact]
    public void A_parameter_without_equals_sign_has_an_empty_value_and_so_its_default()
    {
        var url = Parse("/bob?retry&subject&format&mode&xmpp&name&verify");
        Assert.Equal(0, url.Retry);
        Assert.False(url.Subject);
        Assert.Equal(NotifyFormat.Text, url.Format);
        Assert.Equal(XmppSecurityMode.None, url.Mode);
        Assert.Equal("example.org", url.ConnectHost);
        Assert.Equal("alice", url.Nick);
        Assert.True(url.Verify);
        Assert.Empty(url.IgnoredParameters);

        // An unknown one is listed by its name, once, lower-cased and trimmed.
        var unknown = Parse("/bob?Colour&colour&tz=UTC&&;%20size%20=3");
        Assert.Equal(["colour", "tz", "size"], unknown.IgnoredParameters);
        Assert.Empty(unknown.Notes);
    }

    [Fact]
    public void Parameter_names_are_decoded_and_lower_cased_and_values_decoded_and_trimmed()
    {
        var url = Parse("/bob?RETRY=%203%20&Name=bot_1;WAIT=1.5");
        Assert.Equal(3, url.Retry);
        Assert.Equal("bot_1", url.Nick);
        Assert.Equal(1.5, url.Wait);
    }

    [Fact]
    public void A_parameter_given_twice_keeps_the_last_and_says_so()
    {
        var url = Parse("/bob?retry=1&retry=2");
        Assert.Equal(2, url.Retry);
        Assert.Contains("'retry=' is given more than once; the last one counts.", url.Notes);
    }

    [Fact]
    public void Old_apprise_parameters_are_ignored_with_a_note()
    {
        var url = Parse("/bob?xep=30&jid=x");
        Assert.Equal(["xep", "jid"], url.IgnoredParameters);
        Assert.Contains("'xep=' is from older Apprise versions and is ignored.", url.Notes);
        Assert.Contains("'jid=' is from older Apprise versions and is ignored.", url.Notes);
    }

    [Theory]
    [InlineData("wait", "0", 0.0)]
    [InlineData("wait", "20", 20.0)]
    [InlineData("wait", "0.25", 0.25)]
    [InlineData("cto", "86400", 86400.0)]
    [InlineData("cto", "0.001", 0.001)]
    [InlineData("rto", "86400", 86400.0)]
    [InlineData("rto", "1e2", 100.0)]
    public void Seconds_at_the_edges_of_their_range_are_taken(string name, string value, double seconds)
    {
        var url = Parse($"/bob?{name}={value}");
        var actual = name switch
        {
            "wait" => url.Wait,
            "cto" => url.ConnectTimeout.TotalSeconds,
            _ => url.ReadTimeout.TotalSeconds,
        };
        Assert.Equal(seconds, actual, 6);
    }

    [Theory]
    [InlineData("wait", "20.001", "'20.001' is not a number of seconds from 0 to 20")]
    [InlineData("wait", "-0.001", "'-0.001' is not a number of seconds from 0 to 20")]
    [InlineData("wait", "Infinity", "'Infinity' is not a number of seconds from 0 to 20")]
    [InlineData("cto", "0", "'0' is not a positive number of seconds (at most 86400)")]
    [InlineData("rto", "0", "'0' is not a positive number of seconds (at most 86400)")]
    [InlineData("wait", "soon", "'soon' is not a number of seconds from 0 to 20")]
    [InlineData("cto", "soon", "'soon' is not a positive number of seconds (at most 86400)")]
    [InlineData("cto", "86400.5", "'86400.5' is not a positive number of seconds (at most 86400)")]
    [InlineData("rto", "-1", "'-1' is not a positive number of seconds (at most 86400)")]
    [InlineData("rto", "1,5", "'1,5' is not a positive number of seconds (at most 86400)")]
    [InlineData("rto", "-Infinity", "'-Infinity' is not a positive number of seconds (at most 86400)")]
    public void Seconds_outside_their_range_are_refused_naming_the_range(string name, string value, string reason)
    {
        var error = Refused($"/bob?{name}={value}");
        Assert.Equal(AppriseUrlPart.Parameter, error.Part);
        Assert.Equal(name, error.ParameterName);
        Assert.Equal($"Invalid Apprise XMPP URL: parameter '{name}': {reason}.", error.Message);
    }

    [Fact]
    public void The_defaults_of_the_seconds_and_retry()
    {
        var url = Parse("/bob");
        Assert.Equal(AppriseXmppUrl.DefaultWaitSeconds, url.Wait);
        Assert.Equal(TimeSpan.FromSeconds(AppriseXmppUrl.DefaultTimeoutSeconds), url.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(AppriseXmppUrl.DefaultTimeoutSeconds), url.ReadTimeout);
        Assert.Equal(0, url.Retry);
        Assert.True(url.ScramPlus);
        Assert.True(url.Verify);
        Assert.False(url.ReceiptsGiven);
        Assert.False(url.RecipientsGiven);
        Assert.Equal(UrlTransport.Tcp, url.Transport);
    }

    [Fact]
    public void Empty_choices_are_not_given()
    {
        var url = Parse("/bob?receipts=&recipients=&wsurl=&transport=");
        Assert.False(url.ReceiptsGiven);
        Assert.False(url.RecipientsGiven);
        Assert.Equal(UrlTransport.Tcp, url.Transport);
        Assert.True(Parse("/bob?receipts=no").ReceiptsGiven);
        Assert.True(Parse("/bob?recipients=any").RecipientsGiven);
        // An empty transport= is not an explicit tcp that would contradict wsurl=.
        Assert.Equal(UrlTransport.WebSocket, Parse("/bob?transport=&wsurl=wss%3A%2F%2Fexample.org%2Fws").Transport);
    }

    [Fact]
    public void A_query_pair_without_a_name_is_skipped()
    {
        var url = Parse("/bob?=x&%20=y&;retry=1");
        Assert.Empty(url.IgnoredParameters);
        Assert.Equal(1, url.Retry);
    }

    [Theory]
    [InlineData("", AppriseUrlPart.Scheme, "the URL is empty")]
    [InlineData("://alice:pw@example.org", AppriseUrlPart.Scheme, "it does not start with xmpp:// or xmpps://")]
    [InlineData("xmpp:///alice:pw@example.org", AppriseUrlPart.User, "there is no 'user:password@' before the host (a '/', '?' or '#' in the password must be written %2F, %3F, %23)")]
    [InlineData("xmpp:///pw@example.org", AppriseUrlPart.User, "there is no 'user:password@' before the host (a '/', '?' or '#' in the password must be written %2F, %3F, %23)")]
    [InlineData("xmpp://alice:pw/x@example.org", AppriseUrlPart.User, "there is no 'user:password@' before the host (a '/', '?' or '#' in the password must be written %2F, %3F, %23)")]
    [InlineData("xmpp://@example.org", AppriseUrlPart.User, "the user name is missing (expected xmpp://user:password@host)")]
    [InlineData("xmpp://:pass@example.org", AppriseUrlPart.User, "the user name is missing (expected xmpp://user:password@host)")]
    [InlineData("xmpp://al%01ice:pw@example.org", AppriseUrlPart.User, "the user name contains control characters")]
    [InlineData("xmpp://%40example.org:pw@example.org", AppriseUrlPart.User, "the user name contains '@' with a domain other than the host; the login JID is always user@host (put the account's domain in the host and the server in xmpp=)")]
    [InlineData("xmpp://alice:pw@example.org?transport=websocket&+X-Token", AppriseUrlPart.Parameter, "parameter '+X-Token': the header has no value")]
    public void Malformed_urls_are_refused_naming_the_part_and_why(string text, AppriseUrlPart part, string reason)
    {
        var error = Assert.Throws<AppriseUrlException>(() => AppriseXmppUrl.Parse(text));
        Assert.Equal(part, error.Part);
        var expected = part == AppriseUrlPart.Parameter
            ? $"Invalid Apprise XMPP URL: {reason}."
            : $"Invalid Apprise XMPP URL ({part.ToString().ToLowerInvariant()}): {reason}.";
        Assert.Equal(expected, error.Message);
    }

    [Theory]
    [InlineData("xmpp://alice:xyz@example.org?mode=xyz")]
    [InlineData("xmpp://alice:x%79z@example.org?mode=x%2579z")]
    [InlineData("xmpp://alice:x%79z@example.org?mode=xyz")]
    [InlineData("xmpp://alice:pw@example.org?password=xyz&mode=xyz")]
    [InlineData("xmpp://alice:pw@example.org?pass=xyz&mode=xyz")]
    [InlineData("xmpp://alice:pw@example.org?transport=websocket&+X-Token=xyz&mode=xyz")]
    public void A_secret_echoed_in_an_error_is_masked_in_every_spelling(string text)
    {
        var error = Assert.Throws<AppriseUrlException>(() => AppriseXmppUrl.Parse(text));
        Assert.Equal("mode", error.ParameterName);
        Assert.Equal("Invalid Apprise XMPP URL: parameter 'mode': '****' is not none, starttls or tls.", error.Message);
    }

    [Fact]
    public void Websocket_notes_say_what_does_not_apply()
    {
        const string Port = "The port and xmpp= do not apply to the WebSocket transport; the endpoint comes from wsurl= or the domain's host-meta.";
        Assert.Contains(Port, AppriseXmppUrl.Parse("xmpp://alice:pw@example.org:5300/bob?transport=websocket").Notes);
        Assert.Contains(Port, Parse("/bob?transport=websocket&xmpp=xmpp.example.org").Notes);
        Assert.DoesNotContain(Port, Parse("/bob?transport=websocket&xmpp=").Notes);
        Assert.DoesNotContain(Port, Parse("/bob?transport=websocket").Notes);
        Assert.Contains("mode=tls over WebSocket means wss://, as mode=starttls does.", Parse("/bob?transport=websocket&mode=tls").Notes);
        Assert.Empty(Parse("/bob?transport=websocket&mode=starttls").Notes);
        Assert.Contains("The header 'x-a' is given more than once; the last one counts.", Parse("/bob?transport=websocket&+X-A=1&+x-a=2").Notes);
        Assert.Equal(["x-a"], Parse("/bob?transport=websocket&+X-A=1&+x-a=2").WebSocketHeaderNames);
    }

    [Fact]
    public void Empty_list_entries_are_skipped()
    {
        var url = Parse("/bob,,carol;;%20/?to=,dave");
        Assert.Equal(["bob", "carol", "dave"], url.Targets.Select(t => t.Jid.Local));
        Assert.Empty(url.InvalidTargets);
        Assert.Equal(["a", "b"], AppriseXmppUrl.SplitTargetList(" a ,\t, b\n"));
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("10", 10)]
    [InlineData("+3", 3)]
    public void Retry_is_a_whole_number_from_0_to_10(string value, int retry) =>
        Assert.Equal(retry, Parse($"/bob?retry={value}").Retry);

    [Fact]
    public void Retry_outside_its_range_names_it()
    {
        Assert.Equal("Invalid Apprise XMPP URL: parameter 'retry': '11' is not a whole number from 0 to 10.", Refused("/bob?retry=11").Message);
        Assert.Equal("retry", Refused("/bob?retry=1.5").ParameterName);
    }

    [Theory]
    [InlineData("xmpp://alice:pw@[::1]/bob", "::1", 5222)]
    [InlineData("xmpp://alice:pw@[::1]:5223/bob", "::1", 5223)]
    [InlineData("xmpp://alice:pw@[2001:db8::1]", "2001:db8::1", 5222)]
    [InlineData("xmpp://alice:pw@example.org:1/bob", "example.org", 1)]
    [InlineData("xmpp://alice:pw@example.org:65535/bob", "example.org", 65535)]
    [InlineData("xmpps://alice:pw@example.org?mode=tls", "example.org", 5223)]
    [InlineData("xmpp://alice:pw@example.org:5300?port=5400", "example.org", 5400)]
    public void Hosts_and_ports(string text, string connectHost, int port)
    {
        var url = AppriseXmppUrl.Parse(text);
        Assert.Equal(connectHost, url.ConnectHost.Trim('[', ']'));
        Assert.Equal(port, url.Port);
    }

    [Theory]
    [InlineData("xmpp://alice:pw@[::1]x/bob", "only ':port' may follow the bracketed IPv6 address")]
    [InlineData("xmpp://alice:pw@[::1", "the IPv6 address has no closing ']'")]
    [InlineData("xmpp://alice:pw@fe80::1/bob", "the host has more than one ':' (write IPv6 addresses in brackets)")]
    [InlineData("xmpp://alice:pw@:5222/bob", "the host is missing")]
    public void Malformed_hosts_are_refused_naming_why(string text, string reason)
    {
        var error = Assert.Throws<AppriseUrlException>(() => AppriseXmppUrl.Parse(text));
        Assert.Equal(AppriseUrlPart.Host, error.Part);
        Assert.Equal($"Invalid Apprise XMPP URL (host): {reason}.", error.Message);
    }

    [Theory]
    [InlineData("xmpp://alice:pw@example.org:65536", "the port '65536' is not a number from 1 to 65535")]
    [InlineData("xmpp://alice:pw@example.org:0", "the port '0' is not a number from 1 to 65535")]
    [InlineData("xmpp://alice:pw@example.org:+80", "the port '+80' is not a number from 1 to 65535")]
    [InlineData("xmpp://alice:pw@example.org:", "the port after ':' is empty")]
    public void Ports_outside_1_to_65535_are_refused(string text, string reason)
    {
        var error = Assert.Throws<AppriseUrlException>(() => AppriseXmppUrl.Parse(text));
        Assert.Equal(AppriseUrlPart.Port, error.Part);
        Assert.Null(error.ParameterName);
        Assert.Equal($"Invalid Apprise XMPP URL: {reason}.", error.Message);
    }

    [Theory]
    [InlineData("[2001:db8::2]", "2001:db8::2")]
    [InlineData("2001:db8::2", "2001:db8::2")]
    [InlineData("[2001:DB8:0::2]", "2001:db8::2")]
    [InlineData("xmpp.example.org", "xmpp.example.org")]
    [InlineData("192.0.2.7", "192.0.2.7")]
    [InlineData("[xmpp.example.org]", "xmpp.example.org")]
    public void The_server_override_takes_a_host_name_or_an_address_with_or_without_brackets(string server, string connectHost)
    {
        var url = Parse($"/bob?xmpp={server}");
        Assert.Equal(connectHost, url.ConnectHost);
        Assert.Equal("example.org", url.LoginJid.Domain);
    }

    [Theory]
    [InlineData("[::1")]
    [InlineData("[192.0.2.7]:5222")]
    [InlineData("1.2.3.4:5222")]
    [InlineData("[xmpp.example.org")]
    [InlineData("user@xmpp.example.org")]
    [InlineData("xmpp.example.org/res")]
    public void A_server_override_that_is_not_a_host_is_refused(string server)
    {
        var error = Refused($"/bob?xmpp={server}");
        Assert.Equal("xmpp", error.ParameterName);
    }

    [Theory]
    [InlineData("yes", true)]
    [InlineData("Yes", true)]
    [InlineData("true", true)]
    [InlineData("1", true)]
    [InlineData("on", true)]
    [InlineData("enable", true)]
    [InlineData("always", true)]
    [InlineData("no", false)]
    [InlineData("never", false)]
    [InlineData("false", false)]
    [InlineData("0", false)]
    [InlineData("off", false)]
    [InlineData("disable", false)]
    [InlineData("deny", false)]
    public void Booleans_are_read_by_their_first_two_letters_as_apprise_does(string value, bool expected)
    {
        Assert.Equal(expected, Parse($"/bob?subject={value}").Subject);
        Assert.Equal(expected, Parse($"/bob?verify={value}").Verify);
    }

    [Theory]
    [InlineData("t", XmppSecurityMode.Tls)]
    [InlineData("TLS", XmppSecurityMode.Tls)]
    [InlineData("s", XmppSecurityMode.StartTls)]
    [InlineData("start", XmppSecurityMode.StartTls)]
    [InlineData("n", XmppSecurityMode.None)]
    public void Modes_are_prefix_matched(string value, XmppSecurityMode mode) =>
        Assert.Equal(mode, Parse($"/bob?mode={value}").Mode);

    [Fact]
    public void The_secure_scheme_wins_over_mode_none_with_a_note()
    {
        var url = AppriseXmppUrl.Parse("xmpps://alice:pw@example.org/bob?mode=none");
        Assert.Equal(XmppSecurityMode.StartTls, url.Mode);
        Assert.Contains(url.Notes, n => n.StartsWith("xmpps:// with mode=none", StringComparison.Ordinal));
        Assert.Empty(AppriseXmppUrl.Parse("xmpps://alice:pw@example.org/bob").Notes);
    }

    [Fact]
    public void Nicknames_of_letters_digits_and_underscore_are_taken_others_fall_back_to_the_user()
    {
        Assert.Equal("Ops_Bot2", Parse("/bob?name=Ops_Bot2").Nick);
        var url = Parse("/bob?name=ops-bot");
        Assert.Equal("alice", url.Nick);
        Assert.Contains(url.Notes, n => n.StartsWith("name='ops-bot' may contain only", StringComparison.Ordinal));
    }

    [Fact]
    public void User_password_and_port_in_the_query_replace_the_urls_own()
    {
        var url = AppriseXmppUrl.Parse("xmpp://alice:pw@example.org:5300/bob?user=carol&password=s%26cret&port=5400");
        Assert.Equal("carol@example.org", url.LoginJid.ToString());
        Assert.Equal("s&cret", url.Password);
        Assert.Equal(5400, url.Port);
        Assert.Equal("p2", AppriseXmppUrl.Parse("xmpp://alice:pw@example.org/bob?pass=p2").Password);
        Assert.Equal("p3", AppriseXmppUrl.Parse("xmpp://alice:pw@example.org/bob?password=p3&pass=p2").Password);
        // Empty overrides keep the URL's own.
        var empty = AppriseXmppUrl.Parse("xmpp://alice:pw@example.org:5300/bob?user=&password=&pass=&port=");
        Assert.Equal("alice@example.org", empty.LoginJid.ToString());
        Assert.Equal("pw", empty.Password);
        Assert.Equal(5300, empty.Port);
    }

    [Fact]
    public void The_users_own_domain_may_be_written_in_the_user_name_another_may_not()
    {
        Assert.Equal("alice@example.org", AppriseXmppUrl.Parse("xmpp://alice%40example.org:pw@example.org/bob").LoginJid.ToString());
        var error = Assert.Throws<AppriseUrlException>(() => AppriseXmppUrl.Parse("xmpp://alice%40other.org:pw@example.org/bob"));
        Assert.Equal(AppriseUrlPart.User, error.Part);
        Assert.StartsWith("Invalid Apprise XMPP URL (user): the user name contains '@' with a domain other than the host", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_legacy_user_slash_password_form_is_read_with_a_note()
    {
        var url = AppriseXmppUrl.Parse("xmpp://alice/pw@example.org/bob/carol");
        Assert.Equal("alice@example.org", url.LoginJid.ToString());
        Assert.Equal("pw", url.Password);
        Assert.Equal(["bob@example.org", "carol@example.org"], url.Targets.Select(t => t.Jid.ToString()));
        Assert.Contains("The legacy form xmpp://user/password@host was read as xmpp://user:password@host.", url.Notes);
        Assert.Empty(AppriseXmppUrl.Parse("xmpp://alice/pw@example.org").Targets.Skip(1));
    }

    [Fact]
    public void Targets_are_split_on_slashes_and_list_separators_and_repeated_ones_get_one_message()
    {
        var url = Parse("/bob,carol;dave%20eve/bob?to=frank,%23ops@conference.example.org");
        Assert.Equal(["bob", "carol", "dave", "eve", "frank", "ops"], url.Targets.Select(t => t.Jid.Local));
        Assert.Equal(XmppTargetKind.Groupchat, url.Targets[^1].Kind);
        Assert.Contains("The target 'bob@example.org' is listed more than once; it gets one message.", url.Notes);
        // Without targets the account writes to itself.
        var self = Assert.Single(Parse("").Targets);
        Assert.Equal("alice@example.org", self.Jid.ToString());
        Assert.Equal(XmppTargetKind.Chat, self.Kind);
    }

    [Fact]
    public void A_room_without_a_domain_is_read_on_the_host_with_a_note()
    {
        var url = Parse("/%23ops");
        Assert.Equal("ops@example.org", url.Targets.Single().Jid.ToString());
        Assert.Contains(url.Notes, n => n.StartsWith("The room '#ops' has no domain", StringComparison.Ordinal));
        Assert.DoesNotContain(Parse("/%23ops@conference.example.org").Notes, n => n.StartsWith("The room", StringComparison.Ordinal));
    }

    [Fact]
    public void Keepalive_is_accepted_with_a_note_that_it_changes_nothing()
    {
        Assert.Contains(Parse("/bob?keepalive=yes").Notes, n => n.StartsWith("keepalive=yes has no effect", StringComparison.Ordinal));
        Assert.Empty(Parse("/bob?keepalive=no").Notes);
    }

    [Theory]
    [InlineData("bob", XmppTargetKind.Chat, "bob@example.org")]
    [InlineData("#ops", XmppTargetKind.Groupchat, "ops@example.org")]
    [InlineData("%23ops@conference.example.org", XmppTargetKind.Groupchat, "ops@conference.example.org")]
    [InlineData("%23OPS@conference.example.org", XmppTargetKind.Groupchat, "ops@conference.example.org")]
    [InlineData(" bob@example.net/phone/2 ", XmppTargetKind.Chat, "bob@example.net/phone/2")]
    public void Targets_resolve_to_jids(string raw, XmppTargetKind kind, string jid)
    {
        Assert.True(AppriseXmppUrl.TryResolveTarget(raw, "example.org", out var target, out var reason));
        Assert.Null(reason);
        Assert.Equal(kind, target!.Kind);
        Assert.Equal(jid, target.Jid.ToString());
        Assert.Equal(raw.Trim(), target.Source);
    }

    [Theory]
    [InlineData("#", "a room needs a name after '#'")]
    [InlineData("%23", "a room needs a name after '#'")]
    [InlineData("  ", "the target is empty")]
    [InlineData("bo b", "a target may not contain whitespace")]
    [InlineData("a@b@c", "a target may contain only one '@'")]
    [InlineData("@example.org", "the name before '@' is empty")]
    [InlineData("bob@", "the domain after '@' is empty")]
    [InlineData("bob/", "the resource after '/' is empty")]
    [InlineData("/phone", "the name before '@' is empty")]
    [InlineData("@b@c", "a target may contain only one '@'")]
    [InlineData("b@c@", "a target may contain only one '@'")]
    [InlineData("#ops/nick", "a room address cannot have a '/resource' (the nickname is set with name=)")]
    public void Unusable_targets_say_why(string raw, string reason)
    {
        Assert.False(AppriseXmppUrl.TryResolveTarget(raw, "example.org", out var target, out var actual));
        Assert.Null(target);
        Assert.Equal(reason, actual);
    }
}
