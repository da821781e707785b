using System.Text.Json;

namespace XmppNotify.Cli.Tests;

/// <summary><c>xmpp-notify inbox</c> against a Prosody with mod_mam: JSON lines, and the checkpoint file advanced after printing.</summary>
public class InboxCommandTests(ArchiveProsodyFixture prosody) : IClassFixture<ArchiveProsodyFixture>
{
    [Fact]
    public async Task Prints_new_messages_as_json_lines_and_advances_the_checkpoint_file()
    {
        var file = Path.Combine(Path.GetTempPath(), "inbox-" + Guid.NewGuid().ToString("N"));
        try
        {
            var url = prosody.Url("alice", "");
            var first = await CliRunner.RunAsync(["inbox", url, "--checkpoint", file], environment: prosody.TrustTestCa);
            Assert.True(first.ExitCode == 0, first.ToString());
            Assert.Equal("", first.Stdout);
            var checkpoint = await File.ReadAllTextAsync(file);
            Assert.StartsWith("xmpp-inbox/1 alice@", checkpoint, StringComparison.Ordinal);

            var marker = Guid.NewGuid().ToString("N");
            foreach (var n in new[] { 1, 2, 3 })
            {
                var sent = await CliRunner.RunAsync([prosody.Url("bob", "alice"), "-b", $"{marker} {n}"], environment: prosody.TrustTestCa);
                Assert.True(sent.ExitCode == 0, sent.ToString());
            }

            var two = await CliRunner.RunAsync(["inbox", url, "--checkpoint", file, "--max", "2"], environment: prosody.TrustTestCa);
            Assert.True(two.ExitCode == 0, two.ToString());
            var lines = two.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
            Assert.Equal([$"{marker} 1", $"{marker} 2"], lines.Select(l => l.GetProperty("body").GetString()));
            Assert.All(lines, l => Assert.Equal("message", l.GetProperty("kind").GetString()));
            Assert.StartsWith($"bob@{prosody.Domain}", lines[0].GetProperty("from").GetString(), StringComparison.Ordinal);
            Assert.Contains(marker, lines[0].GetProperty("stanza").GetString(), StringComparison.Ordinal);
            Assert.NotEqual(checkpoint, await File.ReadAllTextAsync(file));

            var rest = await CliRunner.RunAsync(["inbox", url, "--checkpoint", file], environment: prosody.TrustTestCa);
            Assert.Equal($"{marker} 3", JsonDocument.Parse(rest.Stdout.Trim()).RootElement.GetProperty("body").GetString());
            Assert.DoesNotContain(prosody.Password("alice"), rest.AllOutput, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_corrupt_checkpoint_file_is_an_error_and_is_left_as_it_was()
    {
        var file = Path.Combine(Path.GetTempPath(), "inbox-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllTextAsync(file, "not a checkpoint");
        try
        {
            var result = await CliRunner.RunAsync(["inbox", prosody.Url("alice", ""), "--checkpoint", file], environment: prosody.TrustTestCa);
            Assert.True(result.ExitCode == 1, result.ToString());
            Assert.Contains("nothing was read", result.Stderr, StringComparison.Ordinal);
            Assert.Equal("not a checkpoint", await File.ReadAllTextAsync(file));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
