using System.Xml.Linq;
using Xmpp.Client.Xml;

namespace Xmpp.Client.Tests.Xml;

public class StreamErrorsTests
{
    [Fact]
    public void Condition_is_the_first_streams_child_other_than_text()
    {
        var error = XElement.Parse(
            "<stream:error xmlns:stream='http://etherx.jabber.org/streams'><app xmlns='urn:example'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>Replaced</text><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>");

        var ex = StreamErrors.ToException(error);

        Assert.Equal("conflict", ex.Condition);
        Assert.Equal("Replaced", ex.Text);
        Assert.Contains("conflict", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_condition_is_undefined_condition()
    {
        var ex = StreamErrors.ToException(XElement.Parse("<stream:error xmlns:stream='http://etherx.jabber.org/streams'/>"));

        Assert.Equal("undefined-condition", ex.Condition);
        Assert.Null(ex.Text);
    }

    [Fact]
    public void See_other_host_reports_the_new_host_as_text()
    {
        var ex = StreamErrors.ToException(XElement.Parse(
            "<stream:error xmlns:stream='http://etherx.jabber.org/streams'><see-other-host xmlns='urn:ietf:params:xml:ns:xmpp-streams'>[2001:db8::a]:5222</see-other-host></stream:error>"));

        Assert.Equal("see-other-host", ex.Condition);
        Assert.Equal("[2001:db8::a]:5222", ex.Text);
    }
}
