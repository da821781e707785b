using System.Globalization;
using System.Text;

namespace Xmpp.Client.Tests.Session;

/// <summary>A logged-in session against servers that attack it: each ends bounded, with a typed failure.</summary>
public sealed class HostileServerTests
{
    private static XmppClientOptions Options(HostileXmppServer server) => new(Jid.Parse("alice@localhost"), "pw")
    {
        ConnectHost = "127.0.0.1",
        Port = server.Port,
        Security = SecureSocketOptions.None,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        ResponseTimeout = TimeSpan.FromSeconds(10),
    };

    /// <summary>Sends messages as fast as the socket takes them and never acknowledges anything.</summary>
    private static async Task FloodAsync(HostileSession session, CancellationToken ct)
    {
        var body = new string('x', 1024);
        var batch = new StringBuilder();
        for (var i = 0; !session.ClientClosed; i++)
        {
            batch.Clear();
            for (var j = 0; j < 64; j++)
                batch.Append(CultureInfo.InvariantCulture, $"<message from='mallory@localhost/x' to='alice@localhost/hostile' type='chat' id='f{i}-{j}'><body>{body}</body></message>");
            await session.SendAsync(batch.ToString(), ct);
        }
    }

    [Fact]
    public async Task A_message_flood_ends_the_session_at_the_inbound_cap_with_a_typed_failure()
    {
        await using var server = HostileXmppServer.Start(FloodAsync);
        var options = Options(server);
        options.MaxInboundStanzas = 20_000;
        options.MaxReceivedMessages = 64;
        await using var client = new XmppClient(options);
        await client.LoginAsync();
        await client.SendMessageAsync(new OutgoingMessage(Jid.Parse("bob@localhost"), "hello"));

        var error = await Assert.ThrowsAsync<XmppProtocolException>(() => client.WaitForDeliveryAsync());
        Assert.Equal("policy-violation", error.Condition);
        Assert.Contains("20000 stanzas", error.Message, StringComparison.Ordinal);
        // Nobody read the messages: the session kept only the newest few, not the 20,000 that came in.
        Assert.Equal(64, client.Messages.Count);
        var report = await client.DisconnectAsync();
        Assert.Single(report.Unacknowledged);
        Assert.True(server.BytesSentAfterLogin > 20_000 * 1024, $"the server sent only {server.BytesSentAfterLogin} bytes");
    }

    [Fact]
    public async Task A_byte_flood_ends_the_session_at_the_inbound_byte_cap()
    {
        await using var server = HostileXmppServer.Start(FloodAsync);
        var options = Options(server);
        options.MaxInboundBytes = 4 * 1024 * 1024;
        await using var client = new XmppClient(options);
        await client.LoginAsync();
        await client.SendMessageAsync(new OutgoingMessage(Jid.Parse("bob@localhost"), "hello"));

        var error = await Assert.ThrowsAsync<XmppProtocolException>(() => client.WaitForDeliveryAsync());
        Assert.Equal("policy-violation", error.Condition);
        Assert.Contains("4194304 bytes", error.Message, StringComparison.Ordinal);
        Assert.True(client.Messages.Count <= options.MaxReceivedMessages);
    }

    [Fact]
    public async Task A_flood_that_nobody_reads_keeps_only_the_newest_messages()
    {
        // Below the inbound cap the session survives, and still holds no more than its bound.
        await using var server = HostileXmppServer.Start(async (session, ct) =>
        {
            var sb = new StringBuilder();
            for (var i = 0; i < 1000; i++)
                sb.Append(CultureInfo.InvariantCulture, $"<message from='mallory@localhost/x' type='chat' id='m{i}'><body>n{i}</body></message>");
            await session.SendAsync(sb.ToString(), ct);
            await session.WaitForClientAsync("<r xmlns='urn:xmpp:sm:3'/>", TimeSpan.FromSeconds(10));
            await session.SendAsync("<a xmlns='urn:xmpp:sm:3' h='1'/>", ct);
            await session.WaitForClientAsync("</stream:stream>", TimeSpan.FromSeconds(10));
            await session.SendAsync("</stream:stream>", ct);
        });
        var options = Options(server);
        options.MaxReceivedMessages = 10;
        await using var client = new XmppClient(options);
        await client.LoginAsync();
        var id = await client.SendMessageAsync(new OutgoingMessage(Jid.Parse("bob@localhost"), "hello"));
        var report = await client.DisconnectAsync();

        Assert.Equal([id], report.Acknowledged);
        var kept = new List<string?>();
        while (client.Messages.TryRead(out var message))
            kept.Add(message.Body);
        Assert.Equal(Enumerable.Range(990, 10).Select(i => "n" + i.ToString(CultureInfo.InvariantCulture)), kept);
    }

    [Fact]
    public async Task An_ack_above_the_send_count_ends_the_stream_with_handled_count_too_high()
    {
        var sawError = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = HostileXmppServer.Start(async (session, ct) =>
        {
            await session.WaitForClientAsync("<r xmlns='urn:xmpp:sm:3'/>", TimeSpan.FromSeconds(10));
            await session.SendAsync("<a xmlns='urn:xmpp:sm:3' h='7'/>", ct);
            sawError.TrySetResult(await session.WaitForClientAsync("</stream:stream>", TimeSpan.FromSeconds(10)));
        });
        await using var client = new XmppClient(Options(server));
        await client.LoginAsync();
        await client.SendMessageAsync(new OutgoingMessage(Jid.Parse("bob@localhost"), "one"));

        var error = await Assert.ThrowsAsync<XmppProtocolException>(() => client.WaitForDeliveryAsync());
        Assert.Equal("handled-count-too-high", error.Condition);
        Assert.Contains("acknowledged 7", error.Message, StringComparison.Ordinal);

        // XEP-0198 §6: undefined-condition plus handled-count-too-high with h and send-count, then the stream close.
        var written = await sawError.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("<undefined-condition xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>", written, StringComparison.Ordinal);
        Assert.Contains("<handled-count-too-high xmlns='urn:xmpp:sm:3' h='7' send-count='1'/>", written, StringComparison.Ordinal);
        var report = await client.DisconnectAsync();
        Assert.Empty(report.Acknowledged);
        Assert.Single(report.Unacknowledged);
    }
}
