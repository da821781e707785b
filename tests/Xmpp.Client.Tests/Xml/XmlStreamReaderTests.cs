using System.Xml.Linq;
using Xmpp.Client.Tests.Replay;
using Xmpp.Client.Xml;
using static Xmpp.Client.Tests.Xml.XmlTestData;

namespace Xmpp.Client.Tests.Xml;

public class XmlStreamReaderTests
{
    private static readonly XNamespace Streams = "http://etherx.jabber.org/streams";
    private static readonly XNamespace Client = "jabber:client";
    private static readonly XNamespace Sasl = "urn:ietf:params:xml:ns:xmpp-sasl";

    [Theory]
    [InlineData(Declaration + Header)]
    [InlineData(Header)]
    [InlineData("<?xml version='1.0' encoding='UTF-8'?>\n  " + Header)]
    public async Task Header_is_read_with_or_without_xml_declaration(string text)
    {
        using var reader = Server(text);

        var header = await reader.ReadHeaderAsync(Deadline());

        Assert.Equal(new Transport.StreamHeader("s-42", "example.com", "1.0", "en"), header);
    }

    [Fact]
    public async Task Header_attributes_may_be_missing()
    {
        using var reader = Server("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>");

        var header = await reader.ReadHeaderAsync(Deadline());

        Assert.Equal(new Transport.StreamHeader(null, null, null, null), header);
    }

    [Fact]
    public async Task Features_element_is_returned_in_its_namespaces()
    {
        using var reader = Server(Declaration + Header + Features);
        await reader.ReadHeaderAsync(Deadline());

        var features = await reader.ReadElementAsync(Deadline());

        Assert.NotNull(features);
        Assert.Equal(Streams + "features", features.Name);
        var mechanisms = Assert.Single(features.Elements(Sasl + "mechanisms"));
        Assert.Equal(["SCRAM-SHA-1", "PLAIN"], mechanisms.Elements(Sasl + "mechanism").Select(m => m.Value));
    }

    [Fact]
    public async Task Stanzas_are_in_jabber_client_with_attributes_and_text()
    {
        using var reader = Server(Header,
            "<message from='a@example.com/r' to='b@example.com' type='chat' id='m1' xml:lang='de'><body>1 &lt; 2 &amp; 3 &#x1F600; <![CDATA[<raw>]]></body><x xmlns='urn:custom' v=\"&quot;q&quot;\"/></message>");
        await reader.ReadHeaderAsync(Deadline());

        var message = await reader.ReadElementAsync(Deadline());

        Assert.NotNull(message);
        Assert.Equal(Client + "message", message.Name);
        Assert.Equal("chat", (string?)message.Attribute("type"));
        Assert.Equal("de", (string?)message.Attribute(XNamespace.Xml + "lang"));
        Assert.Equal("1 < 2 & 3 \U0001F600 <raw>", message.Element(Client + "body")?.Value);
        Assert.Equal("\"q\"", (string?)message.Element("{urn:custom}x")?.Attribute("v"));
        Assert.DoesNotContain(message.Attributes(), a => a.IsNamespaceDeclaration);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public async Task A_session_split_into_tiny_chunks_parses_the_same(int chunkSize)
    {
        string[] text =
        [
            Declaration, Header, Features,
            " ", // whitespace keepalive
            "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>dj1ybUhDM3RnM0VEaXJ6WHl2c3c9PQ==</success>",
            "<message to='b@x' id='\u00e9\u4e2d\U0001F600'><body>h\u00e9llo \u4e2d\u6587 \U0001F600</body></message>",
            "</stream:stream>",
        ];
        using var reader = Server(text, chunkSize);

        var header = await reader.ReadHeaderAsync(Deadline());
        var features = await reader.ReadElementAsync(Deadline());
        var success = await reader.ReadElementAsync(Deadline());
        var message = await reader.ReadElementAsync(Deadline());
        var end = await reader.ReadElementAsync(Deadline());

        Assert.Equal("s-42", header.Id);
        Assert.Equal(Streams + "features", features?.Name);
        Assert.Equal(Sasl + "success", success?.Name);
        Assert.Equal("dj1ybUhDM3RnM0VEaXJ6WHl2c3c9PQ==", success?.Value);
        Assert.Equal("\u00e9\u4e2d\U0001F600", (string?)message?.Attribute("id"));
        Assert.Equal("h\u00e9llo \u4e2d\u6587 \U0001F600", message?.Value);
        Assert.Null(end);
        Assert.True(reader.IsClosed);
    }

    [Fact]
    public async Task Stream_close_returns_null_and_stays_null_without_reading_further()
    {
        // A stall after the close: a reader that read on would hang until the deadline.
        using var reader = Server(Header, "<presence/>", "</stream:stream>");
        await reader.ReadHeaderAsync(Deadline());

        Assert.NotNull(await reader.ReadElementAsync(Deadline()));
        using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        Assert.Null(await reader.ReadElementAsync(quick.Token));
        Assert.Null(await reader.ReadElementAsync(quick.Token));
    }

    [Fact]
    public async Task Empty_stream_element_is_an_immediately_closed_stream()
    {
        using var reader = Server("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'/>");

        await reader.ReadHeaderAsync(Deadline());

        Assert.Null(await reader.ReadElementAsync(Deadline()));
    }

    [Fact]
    public async Task Stream_error_after_header_is_returned_as_an_element_and_maps_to_condition_and_text()
    {
        using var reader = Server(Header,
            "<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>No such domain</text><app xmlns='urn:example'/></stream:error>",
            "</stream:stream>");
        await reader.ReadHeaderAsync(Deadline());

        var error = await reader.ReadElementAsync(Deadline());

        Assert.NotNull(error);
        Assert.True(StreamErrors.IsStreamError(error));
        var exception = StreamErrors.ToException(error);
        Assert.Equal("host-unknown", exception.Condition);
        Assert.Equal("No such domain", exception.Text);
        Assert.Null(await reader.ReadElementAsync(Deadline()));
    }

    [Fact]
    public async Task Bare_stream_error_instead_of_a_header_throws_stream_error()
    {
        using var reader = Server(Declaration,
            "<stream:error xmlns:stream='http://etherx.jabber.org/streams'><system-shutdown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>");

        var ex = await Assert.ThrowsAsync<XmppStreamErrorException>(() => reader.ReadHeaderAsync(Deadline()));

        Assert.Equal("system-shutdown", ex.Condition);
        Assert.Null(ex.Text);
    }

    [Theory]
    [InlineData("<stream:stream xmlns='jabber:client' xmlns:stream='urn:wrong'>", "invalid-namespace")]
    [InlineData("<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams'>", "invalid-namespace")]
    [InlineData("<stream xmlns='jabber:client'>", "invalid-namespace")]
    [InlineData("<html xmlns='http://www.w3.org/1999/xhtml'>", "bad-format")]
    [InlineData("<stream:features xmlns:stream='http://etherx.jabber.org/streams'>", "bad-format")]
    public async Task Wrong_root_or_namespace_is_rejected(string text, string condition)
    {
        using var reader = Server(Declaration + text);

        var ex = await Assert.ThrowsAsync<XmppProtocolException>(() => reader.ReadHeaderAsync(Deadline()));

        Assert.Equal(condition, ex.Condition);
    }

    [Fact]
    public async Task Http_response_instead_of_xml_is_not_well_formed()
    {
        using var reader = Server("HTTP/1.1 400 Bad Request\r\n\r\n");

        var ex = await Assert.ThrowsAsync<XmppProtocolException>(() => reader.ReadHeaderAsync(Deadline()));

        Assert.Equal("not-well-formed", ex.Condition);
    }

    [Fact]
    public async Task Connection_cut_in_the_middle_of_a_stanza_is_connection_closed()
    {
        using var reader = ServerSteps(DefaultMax,
            ReplayStep.S(Header + "<message to='b@x'><body>half"), ReplayStep.Eof());
        await reader.ReadHeaderAsync(Deadline());

        var ex = await Assert.ThrowsAsync<XmppProtocolException>(() => reader.ReadElementAsync(Deadline()));

        Assert.Equal("connection-closed", ex.Condition);
        Assert.Contains("in the middle of a stanza", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connection_cut_inside_a_start_tag_is_connection_closed_mid_stanza()
    {
        // The partial tag arrives in its own read: bytes buffered together with the previous element cannot be told
        // apart (see XmlStreamReader.Translate), and the message then says only "without closing the stream".
        using var reader = ServerSteps(DefaultMax, ReplayStep.S(Header), ReplayStep.S("<message to='b@"), ReplayStep.Eof());
        await reader.ReadHeaderAsync(Deadline());

        var ex = await Assert.ThrowsAsync<XmppProtocolException>(() => reader.ReadElementAsync(Deadline()));

        Assert.Equal("connection-closed", ex.Condition);
        Assert.Contains("in the middle of a stanza", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connection_cut_between_stanzas_is_connection_closed_without_stream_close()
    {
        using var reader = ServerSteps(DefaultMax, ReplayStep.S(Header + "<presence/>"), ReplayStep.Eof());
        await reader.ReadHeaderAsync(Deadline());
        Assert.NotNull(await reader.ReadElementAsync(Deadline()));

        var ex = await Assert.ThrowsAsync<XmppProtocolException>(() => reader.ReadElementAsync(Deadline()));

        Assert.Equal("connection-closed", ex.Condition);
        Assert.Contains("without closing the stream", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connection_cut_before_the_header_is_connection_closed()
    {
        using var reader = ServerSteps(DefaultMax, ReplayStep.Eof());

        var ex = await Assert.ThrowsAsync<XmppProtocolException>(() => reader.ReadHeaderAsync(Deadline()));

        Assert.Equal("connection-closed", ex.Condition);
    }

    [Fact]
    public async Task Stall_surfaces_as_cancellation_and_leaves_the_reader_unusable()
    {
        using var reader = Server(Header, "<message><body>never fin");
        await reader.ReadHeaderAsync(Deadline());
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reader.ReadElementAsync(timeout.Token));

        await Assert.ThrowsAsync<InvalidOperationException>(() => reader.ReadElementAsync(Deadline()));
    }

    [Fact]
    public async Task Stall_before_the_header_is_cancelled_by_the_token()
    {
        using var reader = ServerSteps(DefaultMax, ReplayStep.Stall());
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reader.ReadHeaderAsync(timeout.Token));
    }

    [Fact]
    public async Task Reading_elements_before_the_header_is_a_usage_error()
    {
        using var reader = Server(Header);

        await Assert.ThrowsAsync<InvalidOperationException>(() => reader.ReadElementAsync(Deadline()));
    }

    [Fact]
    public async Task Text_between_stanzas_is_bad_format()
    {
        using var reader = Server(Header, "junk<presence/>");
        await reader.ReadHeaderAsync(Deadline());

        var ex = await Assert.ThrowsAsync<XmppProtocolException>(() => reader.ReadElementAsync(Deadline()));

        Assert.Equal("bad-format", ex.Condition);
    }

    [Fact]
    public async Task Many_small_stanzas_in_one_read_are_returned_one_by_one()
    {
        var many = string.Concat(Enumerable.Range(0, 500).Select(i => $"<message id='m{i}'><body>{i}</body></message>"));
        using var reader = Server(Header + many);
        await reader.ReadHeaderAsync(Deadline());

        for (var i = 0; i < 500; i++)
        {
            var message = await reader.ReadElementAsync(Deadline());
            Assert.Equal($"m{i}", (string?)message?.Attribute("id"));
        }
    }
}
