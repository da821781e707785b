using System.Text;

namespace Xmpp.Client.Tests.Replay;

public class ReplayStreamTests
{
    private static CancellationToken Deadline() => new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token;

    private static async Task<string> ReadAllAvailableAsync(Stream stream, int bytes)
    {
        var buffer = new byte[bytes];
        var total = 0;
        while (total < bytes)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(total), Deadline());
            Assert.NotEqual(0, n);
            total += n;
        }

        return Encoding.UTF8.GetString(buffer);
    }

    [Fact]
    public async Task Server_text_is_returned_in_chunks_after_client_text_matches()
    {
        var stream = ReplayStream.FromTranscript("""
            C: <stream:stream to='x'>
            S: <stream:stream id='1'>
            S:   <stream:features/>
            C: <auth mechanism='PLAIN'>{any}</auth>
            S: <success/>
            """, chunkSize: 3);

        await stream.WriteAsync(Encoding.UTF8.GetBytes("<stream:stream to=\"x\">"), Deadline());
        var first = await stream.ReadAsync(new byte[100], Deadline());
        Assert.Equal(3, first);
        await ReadAllAvailableAsync(stream, "<stream:stream id='1'>".Length - 3 + "<stream:features/>".Length);
        await stream.WriteAsync(Encoding.UTF8.GetBytes("<auth mechanism='PLAIN'>"), Deadline());
        await stream.WriteAsync(Encoding.UTF8.GetBytes("AGJvYgBwYXNz</auth>"), Deadline());
        Assert.Equal("<success/>", await ReadAllAvailableAsync(stream, "<success/>".Length));

        Assert.Equal(0, await stream.ReadAsync(new byte[10], Deadline()));
        stream.AssertComplete();
    }

    [Fact]
    public async Task A_read_waits_until_the_client_writes_its_step()
    {
        var stream = new ReplayStream([ReplayStep.C("<ping/>"), ReplayStep.S("<pong/>")]);

        var read = stream.ReadAsync(new byte[16], Deadline()).AsTask();
        Assert.False(read.IsCompleted);
        await stream.WriteAsync(Encoding.UTF8.GetBytes("<ping/>"), Deadline());

        Assert.Equal(7, await read);
    }

    [Fact]
    public async Task Mismatch_throws_with_a_diff_and_later_reads_fail_too()
    {
        var stream = new ReplayStream([ReplayStep.C("<iq type='get' id='{any}'><ping xmlns='urn:xmpp:ping'/></iq>"), ReplayStep.S("<iq/>")]);

        var ex = Assert.Throws<ReplayMismatchException>(() =>
            stream.Write(Encoding.UTF8.GetBytes("<iq type='set' id='a1'><ping xmlns='urn:xmpp:ping'/></iq>")));

        Assert.Contains("first difference at character 10", ex.Message, StringComparison.Ordinal);
        Assert.Contains("expected:", ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ReplayMismatchException>(() => stream.ReadAsync(new byte[4], Deadline()).AsTask());
    }

    [Fact]
    public void Placeholder_does_not_swallow_tags()
    {
        var stream = new ReplayStream([ReplayStep.C("<a id='{any}'/>")]);

        Assert.Throws<ReplayMismatchException>(() => stream.Write(Encoding.UTF8.GetBytes("<a id='x'><b/></a>")));
    }

    [Fact]
    public void Whitespace_between_tags_and_quote_style_are_ignored_and_several_steps_fit_one_write()
    {
        var stream = new ReplayStream([ReplayStep.C("<a x='1'>\n  <b/>\n</a>"), ReplayStep.C("<c/>")]);

        stream.Write(Encoding.UTF8.GetBytes("<a x=\"1\"><b/></a> <c/>"));

        stream.AssertComplete();
    }

    [Fact]
    public void Predicate_steps_check_the_written_text()
    {
        var stream = new ReplayStream([ReplayStep.C(t => t.Contains("n=user", StringComparison.Ordinal), "client-first with n=user")]);

        var ex = Assert.Throws<ReplayMismatchException>(() => stream.Write(Encoding.UTF8.GetBytes("<auth>n=other</auth>")));

        Assert.Contains("n=user", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unplayed_steps_fail_AssertComplete()
    {
        var stream = new ReplayStream([ReplayStep.C("<a/>"), ReplayStep.C("<b/>")]);
        stream.Write(Encoding.UTF8.GetBytes("<a/>"));

        var ex = Assert.Throws<ReplayMismatchException>(stream.AssertComplete);

        Assert.Contains("step 2 of 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stall_waits_for_cancellation_and_eof_returns_zero()
    {
        var stalled = new ReplayStream([ReplayStep.Stall()]);
        var ended = new ReplayStream([ReplayStep.S("<x/>"), ReplayStep.Eof()]);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stalled.ReadAsync(new byte[4], timeout.Token).AsTask());
        Assert.Equal(4, await ended.ReadAsync(new byte[10], Deadline()));
        Assert.Equal(0, await ended.ReadAsync(new byte[10], Deadline()));
        ended.AssertComplete();
    }
}
