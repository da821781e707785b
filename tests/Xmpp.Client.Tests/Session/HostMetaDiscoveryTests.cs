using System.Text;
using Xmpp.Client.Transport;

namespace Xmpp.Client.Tests.Session;

/// <summary>XEP-0156 documents read with the client's XML and JSON rules; the network side is tested against Kestrel and Prosody in the notifier's tests.</summary>
public sealed class HostMetaDiscoveryTests
{
    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public void Xrd_links_with_the_websocket_rel_are_read_in_order()
    {
        var links = HostMetaDiscovery.ParseXrd(Utf8("\uFEFF<?xml version='1.0' encoding='UTF-8'?>\n<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>"
            + "<Link rel='urn:xmpp:alt-connections:xbosh' href='https://example.org/http-bind'/>"
            + "<Link rel='urn:xmpp:alt-connections:websocket' href='wss://example.org/xmpp-websocket'/>"
            + "<Link rel='urn:xmpp:alt-connections:websocket' href='ws://example.org:5280/xmpp-websocket'/></XRD>"));
        Assert.Equal(["wss://example.org/xmpp-websocket", "ws://example.org:5280/xmpp-websocket"], links);
    }

    [Theory]
    [InlineData("<?xml version='1.0'?><!DOCTYPE XRD [<!ENTITY a 'x'>]><XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'/>")]
    [InlineData("<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'><Link")]
    [InlineData("<html><body>Not here</body></html>")]
    [InlineData("<XRD xmlns='urn:other'/>")]
    public void Xrd_that_is_not_a_plain_xrd_document_is_invalid(string body) =>
        Assert.Throws<HostMetaDiscovery.InvalidDocumentException>(() => HostMetaDiscovery.ParseXrd(Utf8(body)));

    [Fact]
    public void Json_links_with_the_websocket_rel_are_read_and_others_skipped()
    {
        var links = HostMetaDiscovery.ParseJson(Utf8("""
            {"links":[{"rel":"urn:xmpp:alt-connections:xbosh","href":"https://example.org/bosh"},
                      {"rel":"urn:xmpp:alt-connections:websocket","href":"wss://example.org/ws"},
                      {"rel":"urn:xmpp:alt-connections:websocket","href":42}, "junk"]}
            """));
        Assert.Equal(["wss://example.org/ws"], links);
        Assert.Empty(HostMetaDiscovery.ParseJson(Utf8("{\"subject\":\"example.org\"}")));
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("{\"links\":[")]
    [InlineData("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]")]
    public void Json_that_is_not_a_jrd_object_is_invalid(string body) =>
        Assert.Throws<HostMetaDiscovery.InvalidDocumentException>(() => HostMetaDiscovery.ParseJson(Utf8(body)));

    [Fact]
    public void Only_wss_is_chosen_unless_cleartext_is_allowed()
    {
        string[] links = ["ws://example.org/ws", "/relative", "wss://user:pw@example.org/ws", "wss://example.org/ws#x", "wss://chat.example.org/ws"];
        Assert.Equal("wss://chat.example.org/ws", HostMetaDiscovery.Choose(links, allowPlain: false)?.ToString());
        Assert.Null(HostMetaDiscovery.Choose(["ws://example.org/ws", "https://example.org/"], allowPlain: false));
        Assert.Equal("ws://example.org/ws", HostMetaDiscovery.Choose(["ws://example.org/ws"], allowPlain: true)?.ToString());
    }

    [Fact]
    public void Options_never_show_websocket_header_values_or_the_endpoint_query()
    {
        var options = new XmppClientOptions(Jid.Parse("alice@example.org"), "pw") { WebSocketUri = new Uri("wss://example.org/ws?token=SECRET1") };
        options.WebSocketHeaders.Add(new("Cookie", "session=SECRET2"));
        var text = options.ToString();
        Assert.DoesNotContain("SECRET", text, StringComparison.Ordinal);
        Assert.Contains("wss://example.org/ws?****", text, StringComparison.Ordinal);
        Assert.Contains("Cookie: ****", text, StringComparison.Ordinal);
        options.WebSocketUri = null;
        options.DiscoverWebSocket = true;
        Assert.Contains("https://example.org/.well-known/host-meta", options.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Host")]
    [InlineData("sec-websocket-protocol")]
    [InlineData("Bad Name")]
    [InlineData("X:Y")]
    [InlineData("")]
    public void Handshake_and_malformed_header_names_are_refused(string name)
    {
        var options = new XmppClientOptions(Jid.Parse("alice@example.org"), "pw") { WebSocketUri = new Uri("wss://example.org/ws") };
        options.WebSocketHeaders.Add(new(name, "v"));
        Assert.Throws<ArgumentException>(() => new WebSocketTransport(options));
    }
}
