using System.Text;
using Xmpp.Notifications.Contracts;
using Xmpp.Notifications.Contracts.Requests;
using Xmpp.Notifications.Formatting;

namespace Xmpp.Notifications.Tests.Contracts;

/// <summary>One request parser (or the formatter): how to run it on bytes, a few valid seeds, and a valid input of about n units.</summary>
public sealed record ParserEntry(string Name, Func<byte[], object> Run, IReadOnlyList<string> Seeds, Func<int, string> Scaled, string Unit);

/// <summary>
/// Every parser of untrusted request bodies, and the XHTML-IM formatter, in one list: the property tests, the fuzz
/// harness (<c>XmppBench fuzz</c>) and the linearity benchmark (<c>XmppBench linearity</c>) all walk it, so a parser
/// added here is covered by all three.
/// </summary>
public static class ParserCatalog
{
    private const string Message = """{"to":"bob","title":"Disk","body":"Disk **full** on <db-1> & more","format":"markdown","type":"chat"}""";

    private const string Alert = """{"status":"firing","labels":{"alertname":"HighLatency","instance":"api-1:8080","severity":"critical"},"annotations":{"summary":"p99 above 500ms","runbook_url":"https://runbooks.example.org/x"},"startsAt":"2024-05-01T12:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus.example.org/graph","fingerprint":"a1b2c3d4e5f60718"}""";

    private static string Alertmanager(int alerts) =>
        """{"receiver":"xmpp","status":"firing","alerts":[""" + string.Join(',', Enumerable.Repeat(Alert, Math.Max(1, alerts)))
        + """],"groupLabels":{"alertname":"HighLatency"},"commonLabels":{"alertname":"HighLatency"},"commonAnnotations":{},"externalURL":"http://am.example.org","version":"4","groupKey":"{}:{alertname=\"HighLatency\"}","truncatedAlerts":0}""";

    private static string Grafana(int alerts) =>
        """{"receiver":"xmpp","status":"firing","orgId":1,"alerts":[""" + string.Join(',', Enumerable.Repeat(Alert, Math.Max(1, alerts)))
        + """],"groupLabels":{},"commonLabels":{"alertname":"HighLatency"},"commonAnnotations":{},"externalURL":"https://grafana.example.org/","version":"1","groupKey":"{}","truncatedAlerts":0,"title":"[FIRING:1] HighLatency","state":"alerting","message":"p99"}""";

    private static string Stanza(string body, int addresses = 0) =>
        "<message xmlns='jabber:client' to='bob@example.org' type='chat'><subject>Disk</subject><body>" + body + "</body>"
        + (addresses == 0 ? "" : "<addresses xmlns='http://jabber.org/protocol/address'>"
            + string.Concat(Enumerable.Range(0, addresses).Select(i => $"<address type='to' jid='u{i % XmppMessageJson.MaxRecipientsPerMessage}@example.org'/>")) + "</addresses>")
        + "<html xmlns='http://jabber.org/protocol/xhtml-im'><body xmlns='http://www.w3.org/1999/xhtml'><p><strong>Disk</strong> full</p></body></html></message>";

    private static string Repeat(string unit, int n) => string.Concat(Enumerable.Repeat(unit, Math.Max(1, n)));

    public static IReadOnlyList<ParserEntry> All { get; } =
    [
        new("request/json", b => NotificationRequestParser.Parse("application/json", b),
            [Message, "[" + Message + "," + Message + "]", """{"body":"x"}"""],
            n => """{"to":"bob","body":""" + "\"" + Repeat("disk full ", n / 10) + "\"}", "body chars"),
        new("request/json-array", b => XmppMessageJson.Parse(b),
            ["[" + Message + "]"],
            // At most 100 messages per payload: the size grows in the bodies.
            n => "[" + string.Join(',', Enumerable.Repeat("""{"to":"bob","body":""" + "\"" + Repeat("x", n / XmppMessageJson.MaxMessagesPerPayload) + "\"}", XmppMessageJson.MaxMessagesPerPayload)) + "]", "body chars"),
        new("request/text", b => NotificationRequestParser.Parse("text/plain; charset=utf-8", b),
            ["Disk full\non db-1\n", "é € 😀"],
            n => Repeat("disk full on db-1\n", n / 18), "chars"),
        new("request/sniffed", b => NotificationRequestParser.Parse(null, b),
            [Message, Stanza("x"), "plain text"],
            n => Repeat("plain text ", n / 11), "chars"),
        new("request/xml-stanza", b => NotificationRequestParser.Parse("application/xmpp+xml", b),
            [Stanza("Disk &amp; full"), Stanza("x", 3)],
            n => Stanza(Repeat("disk full &amp; ", n / 16)), "body chars"),
        new("request/xml-addresses", b => MessageStanza.Parse(Encoding.UTF8.GetString(b)),
            [Stanza("x", 2)],
            // At most 50 distinct recipients per message: the size grows in repeated addresses, which are merged.
            n => Stanza("x", Math.Max(1, n / 40)), "address chars"),
        new("alertmanager", b => AlertmanagerWebhook.Parse(b),
            [Alertmanager(1), Alertmanager(3)],
            n => Alertmanager(n / Alert.Length), "alert chars"),
        new("grafana", b => GrafanaWebhook.Parse(b),
            [Grafana(1), Grafana(2)],
            n => Grafana(n / Alert.Length), "alert chars"),
        new("format/markdown", b => XhtmlIm.FromMarkdown(Encoding.UTF8.GetString(b)),
            ["# Title\n**bold** _em_ `code` [link](https://example.org)\n- a\n- b\n\n> quote\n\n| a | b |\n|---|---|\n| 1 | 2 |"],
            n => Repeat("**bold** _em_ [l](https://example.org) `c`\n- item\n", n / 48), "chars"),
        new("format/markdown-nesting", b => XhtmlIm.FromMarkdown(Encoding.UTF8.GetString(b)),
            ["> > > deep\n", "- a\n  - b\n    - c\n"],
            n => Repeat(">", n / 2) + " x\n" + Repeat("*", n / 4) + "x" + Repeat("*", n / 4), "chars"),
        new("format/html", b => XhtmlIm.FromHtml(Encoding.UTF8.GetString(b)),
            ["<p>Disk <b>full</b> <a href='https://example.org' onclick='x()'>see</a><script>alert(1)</script></p><ul><li>a</li></ul><table><tr><td>1</td></tr></table>"],
            n => Repeat("<p>disk <b>full</b> <a href='https://example.org/x'>link</a></p>", n / 60), "chars"),
        new("format/html-nesting", b => XhtmlIm.FromHtml(Encoding.UTF8.GetString(b)),
            ["<div><div><span>x</span></div></div>", "<b><i><b><i>x"],
            n => Repeat("<span>", n / 13) + "x" + Repeat("</span>", n / 13), "chars"),
        new("format/html-unclosed", b => XhtmlIm.FromHtml(Encoding.UTF8.GetString(b)),
            ["<p><b>x<p><i>y", "<a href=x><a href=y>z"],
            n => Repeat("<b><i><p>", n / 9) + "x", "chars"),
    ];

    /// <summary>True for the exceptions a parser may throw on bad input: the typed format error, nothing else.</summary>
    public static bool IsExpectedRejection(Exception e) => e is NotificationFormatException;
}
