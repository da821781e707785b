using System.Text;
using Xmpp.TestServers;

namespace XmppNotify.Cli.Tests;

/// <summary>
/// <c>--token-cache</c> against a server with SASL2, Bind 2 and FAST: the first run logs in with SCRAM and keeps a token
/// in an owner-only file, the next proves the token in the first flight, a file others may read is refused, and a
/// token the server no longer knows falls back to SCRAM. Arrival is checked by slixmpp; the token is never printed.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class TokenCacheTests(Sasl2ProsodyFixture prosody) : IClassFixture<Sasl2ProsodyFixture>, IDisposable
{
    private static readonly TimeSpan ArrivalTimeout = TimeSpan.FromSeconds(15);
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("xmpp-notify-tokens-");

    public void Dispose() => _work.Delete(recursive: true);

    private async Task<CliResult> SendAsync(SlixmppPeer bob, string cache, string label)
    {
        var marker = label + " " + Guid.NewGuid().ToString("N");
        var result = await CliRunner.RunAsync([prosody.Url("alice", "bob"), "-b", marker, "-vv", "--token-cache", cache], environment: prosody.TrustTestCa);
        Assert.True(result.ExitCode == 0, result.ToString());
        await bob.WaitForMessageAsync(m => m.Body?.Contains(marker, StringComparison.Ordinal) == true, ArrivalTimeout);
        Assert.DoesNotContain(prosody.Password("alice"), result.AllOutput, StringComparison.Ordinal);
        return result;
    }

    private static string TokenIn(string cache) =>
        Encoding.UTF8.GetString(Convert.FromBase64String(File.ReadAllLines(cache).Single(l => l.StartsWith("token ", StringComparison.Ordinal)).Split(' ')[4]));

    [Fact]
    public async Task Scram_keeps_a_token_owner_only_the_next_run_uses_it_and_stale_or_exposed_caches_fall_back()
    {
        await using var bob = await prosody.ReceiverAsync("bob");
        var cache = Path.Combine(_work.FullName, "sub", "tokens");

        var first = await SendAsync(bob, cache, "first");
        Assert.Contains("<authenticate xmlns='urn:xmpp:sasl:2' mechanism='SCRAM-SHA-1'", first.Stderr, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(cache));
        var token = TokenIn(cache);
        Assert.DoesNotContain(token, first.AllOutput, StringComparison.Ordinal);

        // The learnt features are in the file too: the token proof goes with the stream header, before the server has
        // said anything on the new stream, and the message follows without waiting for the outcome. Whether the server's
        // answer is logged before or after the message is thread timing on loopback; the order on the wire is pinned by
        // the transcript tests (Sasl2ReplayTests).
        var second = await SendAsync(bob, cache, "second");
        var lines = second.Stderr.Split('\n');
        var flight = Array.FindIndex(lines, l => l.Contains("C: <authenticate xmlns='urn:xmpp:sasl:2' mechanism='HT-SHA-256-", StringComparison.Ordinal));
        var message = Array.FindIndex(lines, l => l.Contains("C: <message", StringComparison.Ordinal));
        Assert.True(flight > 0 && lines[flight - 1].Contains("C: <?xml version='1.0'?><stream:stream", StringComparison.Ordinal) && message > flight, second.ToString());
        Assert.DoesNotContain(TokenIn(cache), second.AllOutput, StringComparison.Ordinal);

        // Readable by others: ignored with a warning, the send still works (SCRAM).
        File.SetUnixFileMode(cache, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var exposed = await SendAsync(bob, cache, "exposed");
        Assert.Contains("may be read by other users", exposed.Stderr, StringComparison.Ordinal);
        Assert.Contains("mechanism='SCRAM-SHA-1'", exposed.Stderr, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(cache));

        // A token the server never issued: refused, forgotten, and the same run delivers with SCRAM.
        var text = File.ReadAllLines(cache).Select(l => l.StartsWith("token ", StringComparison.Ordinal)
            ? string.Join(' ', l.Split(' ')[..4]) + " " + Convert.ToBase64String(Encoding.UTF8.GetBytes("secret-token:fast-stale"))
            : l);
        File.WriteAllLines(cache, text);
        var stale = await SendAsync(bob, cache, "stale");
        Assert.Contains("mechanism='HT-SHA-256-", stale.Stderr, StringComparison.Ordinal);
        Assert.Contains("mechanism='SCRAM-SHA-1'", stale.Stderr, StringComparison.Ordinal);
        Assert.NotEqual("secret-token:fast-stale", TokenIn(cache));
    }
}
