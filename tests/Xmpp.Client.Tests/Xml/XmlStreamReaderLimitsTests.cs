using System.Text;
using Xmpp.Client.Tests.Replay;
using Xmpp.Client.Xml;
using static Xmpp.Client.Tests.Xml.XmlTestData;

namespace Xmpp.Client.Tests.Xml;

/// <summary>
/// The allocation counter is process-wide: a test that floods a session elsewhere in the assembly would be counted
/// here too, so these tests run while nothing else does.
/// </summary>
[CollectionDefinition(nameof(AllocationMeasuringTestGroup), DisableParallelization = true)]
public sealed class AllocationMeasuringTestGroup;

[Collection(nameof(AllocationMeasuringTestGroup))]
public class XmlStreamReaderLimitsTests
{
    private const string BillionLaughs = """
        <?xml version="1.0"?>
        <!DOCTYPE lolz [
          <!ENTITY lol "lol">
          <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
          <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
          <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
          <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
        ]>
        <stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'><message><body>&lol9;</body></message>
        """;

    private const string ExternalEntity = """
        <?xml version="1.0"?>
        <!DOCTYPE stream:stream [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
        <stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'><message><body>&xxe;</body></message>
        """;

    [Theory]
    [InlineData(BillionLaughs)]
    [InlineData(ExternalEntity)]
    public async Task Doctype_and_entities_are_restricted_xml(string text)
    {
        using var reader = Server(text);

        var ex = await Assert.ThrowsAsync<XmppProtocolException>(() => reader.ReadHeaderAsync(Deadline()));

        Assert.Equal("restricted-xml", ex.Condition);
    }

    [Fact]
    public async Task Undeclared_entity_reference_in_a_stanza_is_rejected()
    {
        using var reader = Server(Header, "<message><body>&xxe;</body></message>");
        await reader.ReadHeaderAsync(Deadline());

        var ex = await Assert.ThrowsAsync<XmppProtocolException>(() => reader.ReadElementAsync(Deadline()));

        Assert.Equal("not-well-formed", ex.Condition);
    }

    [Fact]
    public async Task Invalid_utf8_in_a_stanza_is_not_well_formed()
    {
        using var reader = ServerSteps(DefaultMax,
            ReplayStep.S(Header + "<message><body>"),
            ReplayStep.SBytes([0xC3, 0x28]),
            ReplayStep.S("</body></message>"),
            ReplayStep.Stall());
        await reader.ReadHeaderAsync(Deadline());

        var ex = await Assert.ThrowsAsync<XmppProtocolException>(() => reader.ReadElementAsync(Deadline()));

        Assert.Equal("not-well-formed", ex.Condition);
    }

    [Fact]
    public async Task Invalid_utf8_in_the_header_is_not_well_formed()
    {
        var bytes = Encoding.UTF8.GetBytes(Header).Concat(new byte[] { 0xC3, 0x28 }).Concat(Utf8("<presence/>")).ToArray();
        bytes[Header.IndexOf("s-42", StringComparison.Ordinal)] = 0xFF;
        using var reader = ServerSteps(DefaultMax, ReplayStep.SBytes(bytes), ReplayStep.Stall());

        var ex = await Assert.ThrowsAsync<XmppProtocolException>(() => reader.ReadHeaderAsync(Deadline()));

        Assert.Equal("not-well-formed", ex.Condition);
    }

    [Fact]
    public async Task Control_character_reference_is_not_well_formed()
    {
        using var reader = Server(Header, "<message><body>&#x1;</body></message>");
        await reader.ReadHeaderAsync(Deadline());

        var ex = await Assert.ThrowsAsync<XmppProtocolException>(() => reader.ReadElementAsync(Deadline()));

        Assert.Equal("not-well-formed", ex.Condition);
    }

    [Fact]
    public async Task Large_stanza_up_to_the_limit_is_accepted()
    {
        const int max = 1024 * 1024;
        var start = "<message to='b@x'><body>";
        var end = "</body></message>";
        var body = new string('x', max - start.Length - end.Length);
        // Split to force many reads, the last of which ends exactly at the limit.
        using var reader = Server([Header, start, body, end, "<presence/>"], chunkSize: 1000, maxBytes: max);
        await reader.ReadHeaderAsync(Deadline());

        var message = await reader.ReadElementAsync(Deadline());
        var presence = await reader.ReadElementAsync(Deadline());

        Assert.Equal(body.Length, message?.Value.Length);
        Assert.Equal("presence", presence?.Name.LocalName);
    }

    [Fact]
    public async Task Limit_applies_per_element_not_per_stream()
    {
        const int max = 4096;
        var stanza = $"<message><body>{new string('y', 3000)}</body></message>";
        using var reader = Server(Enumerable.Repeat(stanza, 20).Prepend(Header), chunkSize: 512, maxBytes: max);
        await reader.ReadHeaderAsync(Deadline());

        for (var i = 0; i < 20; i++)
        {
            Assert.NotNull(await reader.ReadElementAsync(Deadline()));
        }
    }

    [Fact]
    public async Task Whitespace_keepalives_do_not_count_against_the_limit()
    {
        const int max = 2048;
        var stanza = $"<message><body>{new string('y', 1500)}</body></message>";
        string[] text = [Header, .. Enumerable.Repeat(" ", 3000), stanza];
        using var reader = Server(text, chunkSize: 1, maxBytes: max);
        await reader.ReadHeaderAsync(Deadline());

        Assert.NotNull(await reader.ReadElementAsync(Deadline()));
    }

    [Fact]
    public async Task Oversize_stanza_is_policy_violation_without_reading_the_flood()
    {
        const int max = 64 * 1024;
        const long flood = 100L * 1024 * 1024;
        var stream = new FloodStream(Header + "<message><body>", flood);
        using var reader = new XmlStreamReader(stream, max);
        await reader.ReadHeaderAsync(Deadline());

        var ex = await Assert.ThrowsAsync<XmppProtocolException>(() => reader.ReadElementAsync(Deadline()));

        Assert.Equal("policy-violation", ex.Condition);
        // Bounded: the parser was never given more than the limit plus the header and one parser buffer.
        Assert.InRange(stream.BytesServed, max, max + Header.Length + 64 * 1024);
    }

    [Fact]
    public async Task Oversize_attribute_value_is_policy_violation()
    {
        const int max = 8 * 1024;
        var stream = new FloodStream(Header + "<message to='", 10L * 1024 * 1024);
        using var reader = new XmlStreamReader(stream, max);
        await reader.ReadHeaderAsync(Deadline());

        var ex = await Assert.ThrowsAsync<XmppProtocolException>(() => reader.ReadElementAsync(Deadline()));

        Assert.Equal("policy-violation", ex.Condition);
        Assert.True(stream.BytesServed < 1024 * 1024);
    }

    [Fact]
    public async Task Endless_header_is_policy_violation()
    {
        var stream = new FloodStream("<stream:stream xmlns='jabber:client' id='", 10L * 1024 * 1024);
        using var reader = new XmlStreamReader(stream, 8192);

        var ex = await Assert.ThrowsAsync<XmppProtocolException>(() => reader.ReadHeaderAsync(Deadline()));

        Assert.Equal("policy-violation", ex.Condition);
    }

    [Fact]
    public async Task Nesting_deeper_than_the_limit_is_policy_violation()
    {
        var depth = ElementBuilder.MaxDepth + 2;
        var deep = string.Concat(Enumerable.Repeat("<a>", depth)) + string.Concat(Enumerable.Repeat("</a>", depth));
        using var reader = Server(Header, $"<message>{deep}</message>");
        await reader.ReadHeaderAsync(Deadline());

        var ex = await Assert.ThrowsAsync<XmppProtocolException>(() => reader.ReadElementAsync(Deadline()));

        Assert.Equal("policy-violation", ex.Condition);
    }

    [Fact]
    public async Task Nesting_at_the_limit_is_accepted()
    {
        var depth = ElementBuilder.MaxDepth;
        var deep = string.Concat(Enumerable.Repeat("<a>", depth)) + string.Concat(Enumerable.Repeat("</a>", depth));
        using var reader = Server(Header, $"<message>{deep}</message>");
        await reader.ReadHeaderAsync(Deadline());

        var message = await reader.ReadElementAsync(Deadline());

        Assert.Equal(depth, message!.Descendants().Count());
    }

    [Fact]
    public async Task Too_many_attributes_is_policy_violation()
    {
        var attributes = string.Concat(Enumerable.Range(0, ElementBuilder.MaxAttributes + 1).Select(i => $" a{i}='v'"));
        using var reader = Server(Header, $"<message{attributes}/>");
        await reader.ReadHeaderAsync(Deadline());

        var ex = await Assert.ThrowsAsync<XmppProtocolException>(() => reader.ReadElementAsync(Deadline()));

        Assert.Equal("policy-violation", ex.Condition);
    }

    [Fact]
    public async Task Whitespace_flood_between_stanzas_is_streamed_not_buffered()
    {
        // 20 MB of spaces, then the connection ends: XmlReader reports long runs as text, which must be recognized
        // as whitespace and skipped chunk by chunk.
        const long flood = 20L * 1024 * 1024;
        var stream = new FloodStream(Header + "<presence/>", flood, filler: (byte)' ');
        using var reader = new XmlStreamReader(stream, 64 * 1024);
        await reader.ReadHeaderAsync(Deadline());
        Assert.NotNull(await reader.ReadElementAsync(Deadline()));

        var before = GC.GetTotalAllocatedBytes();
        var ex = await Assert.ThrowsAsync<XmppProtocolException>(() => reader.ReadElementAsync(Deadline()));
        var allocated = GC.GetTotalAllocatedBytes() - before;

        Assert.Equal("connection-closed", ex.Condition);
        Assert.Equal(flood, stream.BytesServed);
        // Buffering the run would take at least 40 MB (20 M chars); the margin absorbs tests running in parallel.
        Assert.True(allocated < 30L * 1024 * 1024, $"allocated {allocated} bytes");
    }

    [Fact]
    public async Task Long_text_between_stanzas_is_bad_format()
    {
        var stream = new FloodStream(Header + "<presence/>" + new string(' ', 100_000), 1024 * 1024);
        using var reader = new XmlStreamReader(stream, 64 * 1024);
        await reader.ReadHeaderAsync(Deadline());
        Assert.NotNull(await reader.ReadElementAsync(Deadline()));

        var ex = await Assert.ThrowsAsync<XmppProtocolException>(() => reader.ReadElementAsync(Deadline()));

        Assert.Equal("bad-format", ex.Condition);
    }
}
