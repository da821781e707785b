using System.Collections.Concurrent;
using System.Globalization;
using System.Xml.Linq;
using Xmpp.Client.Xml;

namespace Xmpp.Client;

/// <summary>One message from the account's archive: its archive id (the resumption point), when the server stored it, and the message.</summary>
public sealed record ArchivedMessage(string ArchiveId, DateTimeOffset? Timestamp, XElement Message);

/// <summary>One page of an archive query: the messages in order, and whether the archive has no more after them.</summary>
public sealed record ArchivePage(IReadOnlyList<ArchivedMessage> Messages, bool Complete, string? Last);

/// <summary>
/// XEP-0313 Message Archive Management (urn:xmpp:mam:2) with XEP-0059 result set paging: reads the account's own
/// archive page by page. Results arrive as messages tagged with the query id before the iq result ends the page.
/// </summary>
public sealed partial class XmppClient
{
    /// <summary>Largest page one query may ask for.</summary>
    public const int MaxArchivePageSize = 250;

    private readonly ConcurrentDictionary<string, ArchiveCollector> _archiveQueries = new(StringComparer.Ordinal);

    /// <summary>
    /// Reads up to <paramref name="max"/> archived messages after archive id <paramref name="after"/> (or, without it,
    /// from <paramref name="start"/>; with neither, from the beginning). An unknown <paramref name="after"/> is an
    /// <see cref="XmppStanzaErrorException"/> with <c>item-not-found</c>; a server without an archive answers
    /// <c>service-unavailable</c> or <c>feature-not-implemented</c>.
    /// </summary>
    public async Task<ArchivePage> QueryArchiveAsync(string? after, DateTimeOffset? start, int max, CancellationToken cancellationToken = default)
    {
        if (max is < 1 or > MaxArchivePageSize)
            throw new ArgumentOutOfRangeException(nameof(max), $"A page holds 1 to {MaxArchivePageSize} messages.");
        var queryId = _ids.Next();
        var collector = new ArchiveCollector(max);
        _archiveQueries[queryId] = collector;
        try
        {
            var form = start is { } s && after is null
                ? $"<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>{Namespaces.Mam}</value></field>" +
                  $"<field var='start'><value>{s.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)}</value></field></x>"
                : "";
            var page = $"<set xmlns='{Namespaces.Rsm}'><max>{max.ToString(CultureInfo.InvariantCulture)}</max>" +
                (after is null ? "" : $"<after>{XmlStreamWriter.EscapeText(after)}</after>") + "</set>";
            var result = await SendIqAsync("set", null, $"<query xmlns='{Namespaces.Mam}' queryid='{queryId}'>{form}{page}</query>", "the archive query", cancellationToken).ConfigureAwait(false);
            var fin = result.Element(XName.Get("fin", Namespaces.Mam))
                ?? throw new XmppProtocolException("The server answered the archive query without <fin/>.", "bad-format");
            var complete = (string?)fin.Attribute("complete") is "true" or "1";
            var last = (string?)fin.Element(XName.Get("set", Namespaces.Rsm))?.Element(XName.Get("last", Namespaces.Rsm));
            return new ArchivePage(collector.Messages, complete, last);
        }
        finally
        {
            _archiveQueries.TryRemove(queryId, out _);
        }
    }

    /// <summary>The archive id of the newest archived message (XEP-0059 §2.5, the last page), or null for an empty archive.</summary>
    public async Task<string?> LatestArchiveIdAsync(CancellationToken cancellationToken = default)
    {
        var queryId = _ids.Next();
        var collector = new ArchiveCollector(1);
        _archiveQueries[queryId] = collector;
        try
        {
            await SendIqAsync("set", null, $"<query xmlns='{Namespaces.Mam}' queryid='{queryId}'><set xmlns='{Namespaces.Rsm}'><max>1</max><before/></set></query>", "the archive query", cancellationToken).ConfigureAwait(false);
            return collector.Messages is [var newest] ? newest.ArchiveId : null;
        }
        finally
        {
            _archiveQueries.TryRemove(queryId, out _);
        }
    }

    /// <summary>True when <paramref name="message"/> is a result of one of this session's archive queries (handled here).</summary>
    private bool OnArchiveResult(XElement message)
    {
        var result = message.Element(XName.Get("result", Namespaces.Mam));
        if (result is null)
            return false;
        // Only the account's own server may answer for its archive: a result from anyone else is dropped.
        var from = Stanzas.ParseJid((string?)message.Attribute("from"));
        if (from is not null && from != _options.Jid)
            return true;
        if ((string?)result.Attribute("queryid") is not { } queryId || !_archiveQueries.TryGetValue(queryId, out var collector))
            return true;
        var forwarded = result.Element(XName.Get("forwarded", Namespaces.Forward));
        var inner = forwarded?.Element(MessageName);
        if ((string?)result.Attribute("id") is not { Length: > 0 } id || inner is null)
            return true;
        var stamp = (string?)forwarded!.Element(XName.Get("delay", Namespaces.Delay))?.Attribute("stamp");
        DateTimeOffset? timestamp = DateTimeOffset.TryParse(stamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;
        collector.Add(new ArchivedMessage(id, timestamp, inner));
        return true;
    }

    /// <summary>The results of one query, bounded by the page size the client asked for.</summary>
    private sealed class ArchiveCollector(int max)
    {
        private readonly List<ArchivedMessage> _messages = [];

        public IReadOnlyList<ArchivedMessage> Messages
        {
            get
            {
                lock (_messages)
                    return _messages.ToArray();
            }
        }

        public void Add(ArchivedMessage message)
        {
            lock (_messages)
            {
                // A server sending more than the page it was asked for is ignored beyond it, never buffered without end.
                if (_messages.Count < max)
                    _messages.Add(message);
            }
        }
    }
}
