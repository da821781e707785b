using System.Collections.Concurrent;
using System.Globalization;
using System.Xml.Linq;

namespace Xmpp.Client;

/// <summary>
/// The stream features each server offered after TLS and before authentication (SASL mechanisms, channel-binding
/// types), remembered per process so that a later session with the same server can send its first SASL message with
/// the stream header instead of a round trip later. Only a guess: every session still reads the real features and
/// starts over cleanly when they differ. Holds no secret. Bounded; a full table is emptied rather than grown.
/// </summary>
internal static class LearnedFeatures
{
    private const int Capacity = 64;
    private static readonly ConcurrentDictionary<string, XElement> Features = new(StringComparer.Ordinal);

    public static bool TryGet(XmppClientOptions options, out XElement features)
    {
        if (Features.TryGetValue(Key(options), out var known))
        {
            features = new XElement(known);
            return true;
        }
        features = null!;
        return false;
    }

    public static void Remember(XmppClientOptions options, XElement features)
    {
        if (Features.Count >= Capacity)
            Features.Clear();
        Features[Key(options)] = new XElement(features);
    }

    /// <summary>What was learnt, as opaque keys and feature XML, for a short-lived process that keeps it between runs.</summary>
    internal static IReadOnlyList<KeyValuePair<string, string>> Export() =>
        [.. Features.Select(f => KeyValuePair.Create(f.Key, f.Value.ToString(SaveOptions.DisableFormatting)))];

    /// <summary>Takes back what <see cref="Export"/> gave; entries that are not stream features are ignored.</summary>
    internal static void Import(string key, string featuresXml)
    {
        try
        {
            var features = Xml.XmlFragment.ParseElement(featuresXml, 64 * 1024);
            if (features.Name != XName.Get("features", Namespaces.Streams) || Features.Count >= Capacity)
                return;
            Features.TryAdd(key, features);
        }
        catch (Exception e) when (e is System.Xml.XmlException or XmppException)
        {
            // A damaged cache entry only costs the round trip it would have saved.
        }
    }

    /// <summary>Forgets everything (tests).</summary>
    internal static void Clear() => Features.Clear();

    private static string Key(XmppClientOptions options) => string.Join('\n',
        options.Jid.Domain,
        options.WebSocketUri?.ToString() ?? (options.DiscoverWebSocket ? "websocket from host-meta" : ""),
        options.ConnectHost ?? "",
        options.Port?.ToString(CultureInfo.InvariantCulture) ?? "",
        options.Security.ToString(),
        // The TLS versions decide which channel bindings (and so which mechanisms) a session can use.
        ((int)options.SslProtocols).ToString(CultureInfo.InvariantCulture));
}
