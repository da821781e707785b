namespace Xmpp.Client;

internal static class Namespaces
{
    public const string Client = "jabber:client";
    public const string Streams = "http://etherx.jabber.org/streams";
    public const string StreamErrors = "urn:ietf:params:xml:ns:xmpp-streams";
    public const string Tls = "urn:ietf:params:xml:ns:xmpp-tls";
    public const string Sasl = "urn:ietf:params:xml:ns:xmpp-sasl";
    public const string SaslChannelBinding = "urn:xmpp:sasl-cb:0";
    public const string Bind = "urn:ietf:params:xml:ns:xmpp-bind";
    public const string Sasl2 = "urn:xmpp:sasl:2";
    public const string Bind2 = "urn:xmpp:bind:0";
    public const string Fast = "urn:xmpp:fast:0";
    public const string Session = "urn:ietf:params:xml:ns:xmpp-session";
    public const string Stanzas = "urn:ietf:params:xml:ns:xmpp-stanzas";
    public const string StreamManagement = "urn:xmpp:sm:3";
    public const string Ping = "urn:xmpp:ping";
    public const string Muc = "http://jabber.org/protocol/muc";
    public const string MucUser = "http://jabber.org/protocol/muc#user";
    public const string XhtmlIm = "http://jabber.org/protocol/xhtml-im";
    public const string Xhtml = "http://www.w3.org/1999/xhtml";
    public const string Delay = "urn:xmpp:delay";
    public const string StanzaIds = "urn:xmpp:sid:0";
    public const string Xml = "http://www.w3.org/XML/1998/namespace";
    public const string Receipts = "urn:xmpp:receipts";
    public const string Roster = "jabber:iq:roster";
    public const string LastActivity = "jabber:iq:last";
    public const string Mam = "urn:xmpp:mam:2";
    public const string Rsm = "http://jabber.org/protocol/rsm";
    public const string Forward = "urn:xmpp:forward:0";
}
