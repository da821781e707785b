using System.Text.Json;

namespace XmppNotify.Cli.Tests;

/// <summary>What the CLI decides before (or without) touching the network.</summary>
public class OfflineTests
{
    // Characters that need escaping in a URL and could leak through a careless redaction or a decoded echo.
    private const string TrickyPassword = "p@ss:w/rd?#&=%+ é";
    private static readonly string EncodedPassword = Uri.EscapeDataString(TrickyPassword);

    private static void AssertNoPassword(CliResult result, params string[] secrets)
    {
        foreach (var secret in secrets)
            Assert.DoesNotContain(secret, result.AllOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_url_is_a_usage_error()
    {
        var result = await CliRunner.RunAsync(["-b", "hello"]);
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("no URL", result.Stderr, StringComparison.Ordinal);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task Unknown_option_is_a_usage_error()
    {
        var result = await CliRunner.RunAsync(["--bogus", "xmpp://a:b@example.org/bob"]);
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("--bogus", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Empty_body_from_stdin_is_a_usage_error()
    {
        var result = await CliRunner.RunAsync(["xmpp://alice:pw@example.org/bob"], stdin: "");
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("empty", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_documents_every_exit_code()
    {
        var result = await CliRunner.RunAsync(["--help"]);
        Assert.Equal(0, result.ExitCode);
        foreach (var code in new[] { "0  ", "1  ", "2  ", "3  ", "4  ", "5  " })
            Assert.Contains("  " + code, result.Stdout, StringComparison.Ordinal);
        Assert.Contains("--dry-run", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("XMPP_URLS", result.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("xmpp://alice:{0}@example.org/bob?mode=bogus", "mode")]
    [InlineData("xmpp://alice:{0}@example.org:99999/bob", "port")]
    [InlineData("xmpp://alice:{0}@/bob", "host")]
    [InlineData("xmpp://:{0}@example.org/bob", "user")]
    [InlineData("http://alice:{0}@example.org/bob", "scheme")]
    [InlineData("xmpp://alice:{0}@example.org/bob?retry=many", "retry")]
    public async Task Malformed_url_exits_2_naming_the_part_without_the_password(string template, string part)
    {
        var url = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, EncodedPassword);
        var result = await CliRunner.RunAsync([url, "-b", "hello"]);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(part, result.Stderr, StringComparison.OrdinalIgnoreCase);
        AssertNoPassword(result, EncodedPassword, TrickyPassword, "w/rd", "p@ss");
    }

    [Fact]
    public async Task Password_in_the_query_of_a_malformed_url_is_hidden()
    {
        var result = await CliRunner.RunAsync(["--dry-run", "xmpp://alice@example.org/bob?pass=Hunter2Secret&mode=bogus", "xmpp://alice:Hunter3Secret"]);
        Assert.True(result.ExitCode == 2, result.ToString());
        AssertNoPassword(result, "Hunter2Secret", "Hunter3Secret");
    }

    [Theory]
    [InlineData("--extension-xml", "<x/>", "namespace")]
    [InlineData("--extension-xml", "<a xmlns='urn:a'>", "not well-formed")]
    [InlineData("--id", "two words", "--id")]
    public async Task Bad_raw_payload_options_are_usage_errors(string option, string value, string expected)
    {
        var result = await CliRunner.RunAsync([$"xmpps://alice:{EncodedPassword}@example.org/bob", "-b", "x", option, value]);
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dry_run_shows_the_websocket_endpoint_and_header_names_never_their_values()
    {
        var explicitUrl = $"xmpps://alice:{EncodedPassword}@example.org/bob?wsurl=wss%3A%2F%2Fchat.example.org%2Fws%3Ftoken%3DQuerySecret9&+X-Token=HeaderSecret7&+Cookie=sid%3DCookieSecret8";
        var discovered = $"xmpps://alice:{EncodedPassword}@example.org/bob?transport=websocket";
        var result = await CliRunner.RunAsync(["--dry-run", explicitUrl, discovered]);

        Assert.True(result.ExitCode == 0, result.ToString());
        AssertNoPassword(result, EncodedPassword, TrickyPassword, "w/rd");
        Assert.DoesNotContain("Secret7", result.Stdout + result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Secret8", result.Stdout + result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Secret9", result.Stdout + result.Stderr, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(result.Stdout);
        var items = json.RootElement.EnumerateArray().ToList();
        Assert.Equal("websocket", items[0].GetProperty("transport").GetString());
        Assert.Equal("wss://chat.example.org/ws?****", items[0].GetProperty("websocket_url").GetString());
        Assert.Equal(["X-Token", "Cookie"], items[0].GetProperty("websocket_headers").EnumerateObject().Select(p => p.Name));
        Assert.All(items[0].GetProperty("websocket_headers").EnumerateObject(), p => Assert.Equal("****", p.Value.GetString()));
        Assert.Equal(JsonValueKind.Null, items[1].GetProperty("websocket_url").ValueKind);
        Assert.Equal("https://example.org/.well-known/host-meta", items[1].GetProperty("websocket_discovery").GetString());
    }

    [Fact]
    public async Task Dry_run_prints_one_object_per_url_and_never_the_password()
    {
        var valid1 = $"xmpps://alice:{EncodedPassword}@example.org/bob/%23ops@conference.example.org?subject=yes";
        var valid2 = $"xmpp://carol:{EncodedPassword}@chat.example.net:5299/dave?mode=tls&verify=no&optional=yes&receipts=require&offline=skip&subscribe=accept";
        var invalid = $"xmpp://alice:{EncodedPassword}@example.org/bob?mode=bogus";
        var result = await CliRunner.RunAsync(["--dry-run", valid1, valid2, invalid]);

        Assert.True(result.ExitCode == 2, result.ToString());
        AssertNoPassword(result, EncodedPassword, TrickyPassword, "w/rd");
        using var json = JsonDocument.Parse(result.Stdout);
        var items = json.RootElement.EnumerateArray().ToList();
        Assert.Equal(3, items.Count);

        string[] planKeys = ["login_jid", "connect_host", "port", "mode", "verify", "targets", "invalid_targets", "subject", "nick",
            "scramplus", "format", "overflow", "retry", "wait", "optional", "cto", "rto", "receipts", "subscribe", "offline", "recipients", "transport", "url"];
        Assert.Equal(planKeys.Order(), items[0].EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal(planKeys.Order(), items[1].EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal(["error", "url"], items[2].EnumerateObject().Select(p => p.Name).Order());

        Assert.Equal("alice@example.org", items[0].GetProperty("login_jid").GetString());
        Assert.Equal(("no", "ignore", "send"), (items[0].GetProperty("receipts").GetString(), items[0].GetProperty("subscribe").GetString(), items[0].GetProperty("offline").GetString()));
        Assert.Equal(("require", "accept", "skip"), (items[1].GetProperty("receipts").GetString(), items[1].GetProperty("subscribe").GetString(), items[1].GetProperty("offline").GetString()));
        Assert.Equal(["bob@example.org", "ops@conference.example.org"], items[0].GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("jid").GetString()));
        Assert.Equal("groupchat", items[0].GetProperty("targets")[1].GetProperty("kind").GetString());
        Assert.True(items[0].GetProperty("subject").GetBoolean());
        Assert.Equal(5299, items[1].GetProperty("port").GetInt32());
        Assert.Equal("tls", items[1].GetProperty("mode").GetString());
        Assert.True(items[1].GetProperty("optional").GetBoolean());
        Assert.Contains("mode", items[2].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains("****", items[2].GetProperty("url").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dry_run_of_valid_urls_exits_0_without_a_body()
    {
        var result = await CliRunner.RunAsync(["--dry-run", "xmpp://alice:pw@example.org/bob"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Single(JsonDocument.Parse(result.Stdout).RootElement.EnumerateArray());
    }

    [Fact]
    public async Task Config_file_gives_urls_and_ignores_comments_and_blank_lines()
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, """
                # team notifications

                xmpp://alice:pw1@example.org/bob
                   # indented comment
                xmpps://carol:pw2@example.net/%23ops@conference.example.net

                """);
            var result = await CliRunner.RunAsync(["--dry-run", "--config", file]);
            Assert.True(result.ExitCode == 0, result.ToString());
            var logins = JsonDocument.Parse(result.Stdout).RootElement.EnumerateArray().Select(u => u.GetProperty("login_jid").GetString());
            Assert.Equal(["alice@example.org", "carol@example.net"], logins);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task<CliResult> WithConfigAsync(string text, params string[] args)
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, text);
            return await CliRunner.RunAsync(["--dry-run", "--config", file, .. args]);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static string[] Logins(CliResult result) =>
        JsonDocument.Parse(result.Stdout).RootElement.EnumerateArray().Select(u => u.GetProperty("login_jid").GetString()!).ToArray();

    private const string TaggedText = """
        ; Apprise TEXT configuration
        xmpp://plain:pw@example.org/bob
        ops=xmpp://ops:pw@example.org/bob
        ops, db=xmpp://opsdb:pw@example.org/bob
        dev=xmpp://dev:pw@example.org/bob
        """;

    [Theory]
    [InlineData(new string[0], new[] { "plain@example.org" })]
    [InlineData(new[] { "--tag", "ops" }, new[] { "ops@example.org", "opsdb@example.org" })]
    [InlineData(new[] { "--tag", "ops,db" }, new[] { "opsdb@example.org" })]
    [InlineData(new[] { "--tag", "db", "-g", "dev" }, new[] { "opsdb@example.org", "dev@example.org" })]
    [InlineData(new[] { "--tag", "all" }, new[] { "plain@example.org", "ops@example.org", "opsdb@example.org", "dev@example.org" })]
    public async Task Config_tags_select_urls_as_apprise_does(string[] tags, string[] expected)
    {
        var result = await WithConfigAsync(TaggedText, tags);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(expected, Logins(result));
    }

    [Fact]
    public async Task Yaml_config_with_tags()
    {
        var result = await WithConfigAsync("""
            version: 1
            urls:
              - xmpp://plain:pw@example.org/bob
              - xmpp://ops:pw@example.org/bob:
                  tag: ops
            """, "--tag", "ops");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["ops@example.org"], Logins(result));
    }

    [Fact]
    public async Task Tag_matching_nothing_is_a_usage_error_naming_the_tag()
    {
        var result = await WithConfigAsync(TaggedText, "--tag", "nobody");
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("no configured URL matches --tag nobody", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_config_line_is_named_by_number_without_its_text()
    {
        var result = await WithConfigAsync("xmpp://a:pw@example.org/bob\nnot a url with hunter2\n");
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("Line 2 of --config file", result.Stderr, StringComparison.Ordinal);
        AssertNoPassword(result, "hunter2");
    }

    [Fact]
    public async Task Console_sink_prints_the_message_and_sends_nothing()
    {
        var result = await CliRunner.RunAsync(["-t", "Disk", "-b", "90 % full", "--format", "markdown", "console:"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("console: not sent\nto: (the URL's targets) | type: chat | format: markdown\ntitle: Disk\n90 % full\n", result.Stdout.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Missing_config_file_is_a_usage_error()
    {
        var result = await CliRunner.RunAsync(["--dry-run", "--config", "/nonexistent/xmpp-notify.conf"]);
        Assert.True(result.ExitCode == 1, result.ToString());
    }

    [Fact]
    public async Task Environment_gives_urls_when_the_command_line_has_none()
    {
        var env = new Dictionary<string, string?> { ["XMPP_URLS"] = "xmpp://alice:pw1@example.org/bob\n  xmpp://carol:pw2@example.net/dave\txmpp://erin:pw3@example.com/frank" };
        var result = await CliRunner.RunAsync(["--dry-run"], environment: env);
        Assert.True(result.ExitCode == 0, result.ToString());
        var logins = JsonDocument.Parse(result.Stdout).RootElement.EnumerateArray().Select(u => u.GetProperty("login_jid").GetString());
        Assert.Equal(["alice@example.org", "carol@example.net", "erin@example.com"], logins);
    }

    [Fact]
    public async Task Command_line_urls_take_precedence_over_the_environment()
    {
        var env = new Dictionary<string, string?> { ["XMPP_URLS"] = "xmpp://alice:pw1@example.org/bob" };
        var result = await CliRunner.RunAsync(["--dry-run", "xmpp://carol:pw2@example.net/dave"], environment: env);
        Assert.True(result.ExitCode == 0, result.ToString());
        var logins = JsonDocument.Parse(result.Stdout).RootElement.EnumerateArray().Select(u => u.GetProperty("login_jid").GetString());
        Assert.Equal(["carol@example.net"], logins);
    }

    [Fact]
    public async Task Refused_port_exits_3()
    {
        var port = FreeLoopbackPort();
        var result = await CliRunner.RunAsync([$"xmpps://alice:{EncodedPassword}@localhost:{port}/bob?xmpp=127.0.0.1&cto=5", "-b", "hello", "-vv"]);
        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Contains("127.0.0.1", result.Stderr, StringComparison.Ordinal);
        AssertNoPassword(result, EncodedPassword, TrickyPassword, "w/rd");
    }

    [Fact]
    public async Task Optional_url_that_fails_still_exits_0()
    {
        var port = FreeLoopbackPort();
        var result = await CliRunner.RunAsync([$"xmpps://alice:pw@localhost:{port}/bob?xmpp=127.0.0.1&optional=yes", "-b", "hello"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("(optional)", result.Stderr, StringComparison.Ordinal);
    }

    /// <summary>A port nobody listens on: bound, read, released (the kernel hands out ports incrementally, so it stays free).</summary>
    private static int FreeLoopbackPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
