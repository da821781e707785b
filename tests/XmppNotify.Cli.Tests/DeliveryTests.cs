namespace XmppNotify.Cli.Tests;

/// <summary>Real sends against a real Prosody, checked by an independent receiver (slixmpp).</summary>
public class DeliveryTests(ProsodyFixture prosody) : IClassFixture<ProsodyFixture>
{
    private static readonly TimeSpan ArrivalTimeout = TimeSpan.FromSeconds(15);

    private void AssertNoPassword(CliResult result)
    {
        foreach (var user in new[] { "alice", "bob" })
        {
            Assert.DoesNotContain(prosody.Password(user), result.AllOutput, StringComparison.Ordinal);
            Assert.DoesNotContain(Uri.EscapeDataString(prosody.Password(user)), result.AllOutput, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Delivers_title_and_body_to_bob_quietly()
    {
        await using var bob = await prosody.ReceiverAsync("bob");
        var marker = Guid.NewGuid().ToString("N");
        var result = await CliRunner.RunAsync([prosody.Url("alice", "bob"), "-t", "Disk full", "-b", "on db1 " + marker], environment: prosody.TrustTestCa);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.Stdout);
        Assert.Equal("", result.Stderr);
        var message = await bob.WaitForMessageAsync(m => m.Body?.Contains(marker, StringComparison.Ordinal) == true, ArrivalTimeout);
        Assert.Equal("Disk full\r\non db1 " + marker, message.Body?.ReplaceLineEndings("\r\n"));
        Assert.StartsWith($"alice@{prosody.Domain}", message.From, StringComparison.Ordinal);
        Assert.Equal("chat", message.Type);
    }

    [Fact]
    public async Task Stanza_id_and_extension_xml_from_the_command_line_arrive()
    {
        await using var bob = await prosody.ReceiverAsync("bob");
        var id = "cli-" + Guid.NewGuid().ToString("N");
        var result = await CliRunner.RunAsync(
            [prosody.Url("alice", "bob"), "-b", "with extension", "--id", id, "--extension-xml", "<alert xmlns='urn:example:alerts' severity='page'/>"],
            environment: prosody.TrustTestCa);

        Assert.True(result.ExitCode == 0, result.ToString());
        var message = await bob.WaitForMessageAsync(m => m.Id == id, ArrivalTimeout);
        var alert = Assert.Single(System.Xml.Linq.XElement.Parse(message.Stanza!).Elements(System.Xml.Linq.XName.Get("alert", "urn:example:alerts")));
        Assert.Equal("page", (string?)alert.Attribute("severity"));
    }

    [Fact]
    public async Task Caps_on_the_command_line_refuse_the_run_before_any_connection_and_nothing_arrives()
    {
        await using var bob = await prosody.ReceiverAsync("bob");
        var marker = Guid.NewGuid().ToString("N");
        var twoTargets = prosody.Url("alice", "bob/alice");

        var recipients = await CliRunner.RunAsync([twoTargets, "--max-recipients", "1", "-b", "recipients " + marker], environment: prosody.TrustTestCa);
        Assert.True(recipients.ExitCode == 5, recipients.ToString());
        Assert.Contains("2 recipients", recipients.Stderr, StringComparison.Ordinal);
        Assert.Contains("--max-recipients", recipients.Stderr, StringComparison.Ordinal);

        var bytes = await CliRunner.RunAsync([prosody.Url("alice", "bob"), "--max-bytes", "40", "-b", "bytes " + marker], environment: prosody.TrustTestCa);
        Assert.True(bytes.ExitCode == 5, bytes.ToString());
        Assert.Contains("--max-bytes", bytes.Stderr, StringComparison.Ordinal);

        var zero = await CliRunner.RunAsync([twoTargets, "--max-recipients", "0", "-b", "x"], environment: prosody.TrustTestCa);
        Assert.True(zero.ExitCode == 1, zero.ToString());
        Assert.Contains("--max-recipients", zero.Stderr, StringComparison.Ordinal);
        AssertNoPassword(recipients);
        AssertNoPassword(bytes);

        // Within the caps the same run delivers, and it is the first of these messages bob sees.
        var within = await CliRunner.RunAsync([twoTargets, "--max-recipients", "2", "--max-bytes", "1000", "-b", "within " + marker], environment: prosody.TrustTestCa);
        Assert.True(within.ExitCode == 0, within.ToString());
        var first = await bob.WaitForMessageAsync(m => m.Body?.Contains(marker, StringComparison.Ordinal) == true, ArrivalTimeout);
        Assert.Equal("within " + marker, first.Body);
    }

    [Fact]
    public async Task Reads_the_body_from_stdin()
    {
        await using var bob = await prosody.ReceiverAsync("bob");
        var marker = Guid.NewGuid().ToString("N");
        var result = await CliRunner.RunAsync([prosody.Url("alice", "bob")], stdin: $"line one {marker}\nline two ✓\n", environment: prosody.TrustTestCa);

        Assert.True(result.ExitCode == 0, result.ToString());
        var message = await bob.WaitForMessageAsync(m => m.Body?.Contains(marker, StringComparison.Ordinal) == true, ArrivalTimeout);
        Assert.Equal($"line one {marker}\nline two ✓", message.Body);
    }

    [Fact]
    public async Task Markdown_body_arrives_as_text_and_xhtml()
    {
        await using var bob = await prosody.ReceiverAsync("bob");
        var marker = Guid.NewGuid().ToString("N");
        var result = await CliRunner.RunAsync([prosody.Url("alice", "bob"), "--format", "markdown", "-b", $"**bold** {marker}"], environment: prosody.TrustTestCa);

        Assert.True(result.ExitCode == 0, result.ToString());
        var message = await bob.WaitForMessageAsync(m => m.Body?.Contains(marker, StringComparison.Ordinal) == true, ArrivalTimeout);
        Assert.DoesNotContain("**", message.Body, StringComparison.Ordinal);
        Assert.Contains("<strong>bold</strong>", message.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verbose_send_lists_the_delivery_and_never_the_password()
    {
        await using var bob = await prosody.ReceiverAsync("bob");
        var marker = Guid.NewGuid().ToString("N");
        var result = await CliRunner.RunAsync([prosody.Url("alice", "bob"), "-vv", "-b", marker], environment: prosody.TrustTestCa);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("delivered to bob@", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("info:", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("C: <starttls", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("S: <success", result.Stderr, StringComparison.Ordinal);
        // Nonces, salt, iteration count and signatures would allow an offline dictionary attack: none is logged.
        Assert.Contains("S: <challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>[redacted]</challenge>", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("S: <success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>[redacted]</success>", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(",r=[redacted]</auth>", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>c=[redacted],r=[redacted],p=[redacted]</response>", result.Stderr, StringComparison.Ordinal);
        AssertNoPassword(result);
        await bob.WaitForMessageAsync(m => m.Body == marker, ArrivalTimeout);
    }

    [Fact]
    public async Task Wrong_password_exits_4_without_printing_either_password()
    {
        var wrong = "Wrong/" + Guid.NewGuid().ToString("N")[..8] + "@:#";
        var result = await CliRunner.RunAsync([prosody.Url("alice", "bob", password: wrong), "-vv", "-b", "hello"], environment: prosody.TrustTestCa);

        Assert.True(result.ExitCode == 4, result.ToString());
        Assert.NotEqual("", result.Stderr);
        Assert.DoesNotContain(wrong, result.AllOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(Uri.EscapeDataString(wrong), result.AllOutput, StringComparison.Ordinal);
        AssertNoPassword(result);
    }

    [Fact]
    public async Task Untrusted_certificate_exits_3()
    {
        // No SSL_CERT_FILE: the test CA is unknown to the system store.
        var result = await CliRunner.RunAsync([prosody.Url("alice", "bob"), "-b", "hello"], environment: new Dictionary<string, string?> { ["SSL_CERT_FILE"] = null, ["SSL_CERT_DIR"] = null });

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Contains("not trusted", result.Stderr, StringComparison.Ordinal);
        AssertNoPassword(result);
    }

    [Fact]
    public async Task Bounced_target_beside_a_delivered_one_exits_5()
    {
        await using var bob = await prosody.ReceiverAsync("bob");
        var marker = Guid.NewGuid().ToString("N");
        var result = await CliRunner.RunAsync([prosody.Url("alice", "bob/nosuchuser"), "-b", marker], environment: prosody.TrustTestCa);

        Assert.True(result.ExitCode == 5, result.ToString());
        Assert.Contains("nosuchuser@", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain($"bob@{prosody.Domain}:", result.Stderr, StringComparison.Ordinal);
        await bob.WaitForMessageAsync(m => m.Body == marker, ArrivalTimeout);
        AssertNoPassword(result);
    }

    [Fact]
    public async Task Optional_failure_beside_a_delivery_exits_0()
    {
        await using var bob = await prosody.ReceiverAsync("bob");
        var marker = Guid.NewGuid().ToString("N");
        var failing = prosody.Url("alice", "bob", "optional=yes", password: "not-the-password");
        var result = await CliRunner.RunAsync([failing, prosody.Url("alice", "bob"), "-b", marker], environment: prosody.TrustTestCa);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("(optional)", result.Stderr, StringComparison.Ordinal);
        await bob.WaitForMessageAsync(m => m.Body == marker, ArrivalTimeout);
    }

    [Fact]
    public async Task First_failing_url_decides_the_exit_code()
    {
        var badPassword = prosody.Url("alice", "bob", password: "not-the-password");
        var invalid = "xmpp://alice:pw@example.org/bob?mode=bogus";
        var result = await CliRunner.RunAsync([badPassword, invalid, "-b", "hello"], environment: prosody.TrustTestCa);

        Assert.True(result.ExitCode == 4, result.ToString());
        Assert.Equal(2, result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task Control_characters_and_colour_codes_in_the_body_are_removed_not_fatal()
    {
        await using var bob = await prosody.ReceiverAsync("bob");
        var marker = Guid.NewGuid().ToString("N");
        // What `xmpp-notify -b $'a\x01b'` and coloured output piped in used to crash on.
        var result = await CliRunner.RunAsync([prosody.Url("alice", "bob"), "-b", $"a\u0001b \u001B[31mred\u001B[0m\uFFFE {marker}"], environment: prosody.TrustTestCa);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.Stderr);
        var message = await bob.WaitForMessageAsync(m => m.Body?.Contains(marker, StringComparison.Ordinal) == true, ArrivalTimeout);
        Assert.Equal($"ab red {marker}", message.Body);
    }

    [Fact]
    public async Task A_target_with_a_control_character_is_refused_by_name_and_exits_5_without_a_stack_trace()
    {
        await using var bob = await prosody.ReceiverAsync("bob");
        var marker = Guid.NewGuid().ToString("N");
        var result = await CliRunner.RunAsync([prosody.Url("alice", "bob/eve%01"), "-b", marker], environment: prosody.TrustTestCa);

        Assert.True(result.ExitCode == 5, result.ToString());
        Assert.Contains("control character U+0001", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.AllOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", result.AllOutput, StringComparison.Ordinal);
        AssertNoPassword(result);
        await bob.WaitForMessageAsync(m => m.Body == marker, ArrivalTimeout);
    }
}
