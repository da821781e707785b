namespace Xmpp.TestServers;

/// <summary>
/// SASL2 (XEP-0388), Bind 2 (XEP-0386) and FAST (XEP-0484) for the test Prosody 0.12: copies of Debian's
/// prosody-modules (hg 2023-02-23) written into the server's private plugin directory with a few textual patches.
/// As shipped they are written for Prosody trunk and fail on 0.12.3: mod_sasl2 calls connection methods 0.12 does not
/// have (<c>conn:ssl_info()</c>, <c>conn:ssl_peerfinished()</c>; the patch asks the TLS socket instead, as 0.12's own
/// mod_saslauth does); mod_sasl2_fast calls <c>stanza:get_child_attr()</c>, which 0.12's util.stanza lacks, and reads
/// the stream header's <c>from</c> from the stream-features event, which 0.12 does not pass (the patch advertises FAST
/// without it; the user name it gave was not used), and formats a fractional time with 0.12's util.datetime, which
/// under Lua 5.4 accepts only integers (the patch rounds the token expiry down).
/// Nothing else is changed. mod_sasl2_sm is not loaded: 0.12's mod_smacks has no inline enable.
/// </summary>
public static class ProsodySasl2Modules
{
    /// <summary>Where Debian's prosody-modules package installs the originals.</summary>
    public const string SourceDirectory = "/usr/lib/prosody/modules";

    /// <summary>The module names to add to modules_enabled.</summary>
    public static IReadOnlyList<string> Modules { get; } = ["sasl2", "sasl2_bind2", "sasl2_fast"];

    private static readonly (string Module, string Find, string Replace)[] Patches =
    [
        ("sasl2", "return self.userdata[\"tls-unique\"]:ssl_peerfinished();", "return self.userdata[\"tls-unique\"]:socket():getpeerfinished();"),
        ("sasl2", "local info = origin.conn:ssl_info();", "local info = origin.conn:socket():info();"),
        ("sasl2", "elseif origin.conn.ssl_peerfinished and origin.conn:ssl_peerfinished() then",
            "elseif origin.conn:socket().getpeerfinished and origin.conn:socket():getpeerfinished() then"),
        ("sasl2_fast", "username = jid.node(event.stream.from);", "username = event.stream and jid.node(event.stream.from) or \"\";"),
        ("sasl2_fast", "expiry = dt.datetime(token_info.expires_at);", "expiry = dt.datetime(math.floor(token_info.expires_at));"),
        ("sasl2_fast", "local client_id = auth:get_child_attr(\"user-agent\", nil, \"id\");",
            "local client_id = (auth:get_child(\"user-agent\") or { attr = {} }).attr.id;"),
    ];

    /// <summary>True when the prosody-modules package is installed (scripts/install-test-deps.sh installs it).</summary>
    public static bool Available => Modules.All(m => File.Exists(SourcePath(m)));

    /// <summary>Writes the patched copies into <paramref name="pluginDirectory"/>; every patch must apply exactly once.</summary>
    public static void WriteTo(string pluginDirectory)
    {
        Directory.CreateDirectory(pluginDirectory);
        foreach (var module in Modules)
        {
            var path = SourcePath(module);
            if (!File.Exists(path))
                throw new InvalidOperationException($"{path} is missing: install Debian's prosody-modules (scripts/install-test-deps.sh).");
            var text = File.ReadAllText(path);
            foreach (var (_, find, replace) in Patches.Where(p => p.Module == module))
            {
                var at = text.IndexOf(find, StringComparison.Ordinal);
                if (at < 0 || text.IndexOf(find, at + find.Length, StringComparison.Ordinal) >= 0)
                    throw new InvalidOperationException($"The patch for mod_{module} does not apply to {path} (the package changed?): '{find}'.");
                text = text.Replace(find, replace, StringComparison.Ordinal);
            }
            File.WriteAllText(Path.Combine(pluginDirectory, $"mod_{module}.lua"), "-- Patched copy for Prosody 0.12, written by Xmpp.TestServers (see ProsodySasl2Modules).\n" + text);
        }
    }

    private static string SourcePath(string module) => Path.Combine(SourceDirectory, $"mod_{module}", $"mod_{module}.lua");
}
