using System.Diagnostics;
using Xmpp.Client;

namespace Xmpp.Bench;

/// <summary>
/// Timestamps the protocol exchange of one session, to split a login into its phases from the outside.
/// Client lines are stamped when queued (just before the write), server lines once parsed.
/// </summary>
internal sealed class PhaseLogger : IProtocolLogger
{
    private readonly List<(long Ticks, bool FromServer, string Text)> _events = [];
    private long _connected;

    public long Started { get; } = Stopwatch.GetTimestamp();

    public void LogConnect(string host, int port, SecureSocketOptions security) => _connected = Stopwatch.GetTimestamp();

    public void LogClient(string text) => Add(false, text);

    public void LogServer(string text) => Add(true, text);

    private void Add(bool fromServer, string text)
    {
        var now = Stopwatch.GetTimestamp();
        // Keep only the start of each line: enough to recognise it, and no credentials are ever kept.
        if (text.StartsWith("<?xml", StringComparison.Ordinal) && text.IndexOf("?>", StringComparison.Ordinal) is var declarationEnd and > 0)
            text = text[(declarationEnd + 2)..];
        var head = text.Length > 24 ? text[..24] : text;
        lock (_events)
            _events.Add((now, fromServer, head));
    }

    public static readonly string[] PhaseNames =
    [
        "TCP connect",
        "stream open + features",
        "STARTTLS request -> proceed",
        "TLS handshake",
        "stream restart (TLS)",
        "SASL (SCRAM, 2 round trips)",
        "stream restart (SASL)",
        "bind + SM enable",
        "message -> ack",
        "close -> server close",
    ];

    /// <summary>Phase durations in ms, in <see cref="PhaseNames"/> order; NaN where a marker is missing.</summary>
    public double[] Phases(long loginDone, long ended)
    {
        List<(long Ticks, bool FromServer, string Text)> events;
        lock (_events)
            events = [.. _events];
        var cursor = 0;
        long Next(bool fromServer, string name)
        {
            for (var i = cursor; i < events.Count; i++)
            {
                if (events[i].FromServer == fromServer && LocalName(events[i].Text) == name)
                {
                    cursor = i + 1;
                    return events[i].Ticks;
                }
            }
            return -1;
        }
        var features1 = Next(true, "features");
        Next(false, "starttls");
        var proceed = Next(true, "proceed");
        var header2 = Next(false, "stream");
        var features2 = Next(true, "features");
        var success = Next(true, "success");
        var header3 = Next(false, "stream");
        var features3 = Next(true, "features");
        var message = Next(false, "message");
        var ack = Next(true, "a");
        var close = Next(false, "/stream");
        return
        [
            Span(Started, _connected),
            Span(_connected, features1),
            Span(features1, proceed),
            Span(proceed, header2),
            Span(header2, features2),
            Span(features2, success),
            Span(header3 > 0 ? success : -1, features3),
            Span(features3, loginDone),
            Span(message, ack),
            Span(close, ended),
        ];
    }

    /// <summary>The element's local name, whatever prefix the log line carries; "/stream" for the closing tag.</summary>
    private static string LocalName(string text)
    {
        var start = text.StartsWith("</", StringComparison.Ordinal) ? 2 : text.StartsWith('<') ? 1 : 0;
        var end = text.IndexOfAny([' ', '>', '/'], start);
        var name = end < 0 ? text[start..] : text[start..end];
        var colon = name.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
            name = name[(colon + 1)..];
        return start == 2 ? "/" + name : name;
    }

    private static double Span(long from, long to) =>
        from <= 0 || to <= 0 ? double.NaN : (to - from) * 1000.0 / Stopwatch.Frequency;
}
