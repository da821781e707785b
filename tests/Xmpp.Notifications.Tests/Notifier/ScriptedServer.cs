using System.Text.RegularExpressions;

namespace Xmpp.Notifications.Tests.Notifier;

/// <summary>
/// A loopback <see cref="HostileXmppServer"/> that logs the notifier's pipelined session in and then answers as a test
/// scripts it, stanza by stanza: the ping that proves delivery (answered, preceded by bounces, receipts or presence, or
/// the connection cut instead), and room joins. Runs in milliseconds, so the delivery rules can be pinned one by one.
/// </summary>
internal static partial class ScriptedServer
{
    public const string PingMarker = "<ping xmlns='urn:xmpp:ping'/></iq>";

    /// <summary>What the script sees at each ping: the connection, which ping of it (from 1), and what the client wrote since the last one.</summary>
    public delegate string? PingScript(HostileSession session, int ping, string text);

    /// <summary>
    /// Starts a server whose script is asked at every ping what to send before the result; null cuts the connection
    /// without answering. <paramref name="onJoin"/> answers a room join (given the occupant JID asked for); without it,
    /// joins are confirmed.
    /// </summary>
    public static HostileXmppServer Start(PingScript onPing, HostileLogin? login = null, Func<HostileSession, string, string>? onJoin = null) =>
        HostileXmppServer.Start((session, ct) => ServeAsync(session, onPing, onJoin ?? ConfirmJoin, ct), login: (login ?? new HostileLogin()) with { Pipelined = true });

    private const string CutMarker = "\u0000cut";

    /// <summary>A ping script's answer: send <paramref name="xml"/>, then cut the connection without answering the ping.</summary>
    public static string CutAfter(string xml) => xml + CutMarker;

    /// <summary>A server that answers every ping at once.</summary>
    public static HostileXmppServer Honest() => Start((_, _, _) => "");

    /// <summary>The notifier's URL for a server (cleartext, password <c>pw</c>) with extra query parameters.</summary>
    public static string Url(HostileXmppServer server, string targets = "bob", string query = "") =>
        $"xmpp://alice:pw@127.0.0.1:{server.Port}/{targets}?verify=no{(query.Length > 0 ? "&" + query : "")}";

    private static string ConfirmJoin(HostileSession session, string occupant) =>
        $"<presence from='{occupant}'><x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' role='participant'/><status code='110'/></x></presence>";

    private static async Task ServeAsync(HostileSession session, PingScript onPing, Func<HostileSession, string, string> onJoin, CancellationToken ct)
    {
        var pings = 0;
        var text = "";
        while (true)
        {
            var (part, marker) = await session.WaitForClientAsync([PingMarker, "</presence>"], TimeSpan.FromSeconds(20));
            text += part;
            if (marker != PingMarker)
            {
                // A room join waits for the room's answer before anything else is sent.
                if (JoinPresence().Match(part) is { Success: true } join)
                    await session.SendAsync(onJoin(session, join.Groups[1].Value), ct);
                continue;
            }
            var before = onPing(session, ++pings, text);
            var id = PingId().Matches(text)[^1].Groups[1].Value;
            text = "";
            if (before is null)
                return;
            if (before.EndsWith(CutMarker, StringComparison.Ordinal))
            {
                await session.SendAsync(before[..^CutMarker.Length], ct);
                return;
            }
            await session.SendAsync(before + $"<iq type='result' id='{id}' from='127.0.0.1'/>", ct);
        }
    }

    /// <summary>The stanza ids of the messages in what the client wrote, in order.</summary>
    public static IReadOnlyList<string> MessageIds(string text) => MessageId().Matches(text).Select(m => m.Groups[1].Value).ToList();

    [GeneratedRegex("<presence to='([^']+)'><x xmlns='http://jabber.org/protocol/muc'>")]
    private static partial Regex JoinPresence();

    [GeneratedRegex("<iq type='get' id='([^']+)'[^>]*><ping xmlns='urn:xmpp:ping'/></iq>")]
    private static partial Regex PingId();

    [GeneratedRegex("<message [^>]*id='([^']+)'")]
    private static partial Regex MessageId();
}
