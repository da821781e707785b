using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Xmpp.Client;

namespace XmppNotify.Cli;

/// <summary>
/// The opt-in cache file of <c>--token-cache</c>: FAST tokens (XEP-0484) per account, the user-agent id they are bound
/// to, and the stream features learnt from each server, so that the next run logs in with the token in the first
/// flight. The tokens are secrets: the file is created owner-only (0600) and refused when group or others may read it;
/// a token is never printed. A missing, unreadable or damaged file only costs the next login its shortcut.
/// </summary>
internal sealed class TokenCache : IFastTokenStore
{
    private const string Magic = "xmpp-notify token cache 1";
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly string _path;
    private readonly ConcurrentDictionary<string, FastToken> _tokens = new(StringComparer.Ordinal);

    private TokenCache(string path, string clientId)
    {
        _path = path;
        ClientId = clientId;
    }

    public string ClientId { get; }

    /// <summary>Reads the file if there is one; <paramref name="warning"/> says why it was ignored.</summary>
    public static TokenCache Load(string path, out string? warning)
    {
        warning = null;
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
            return new TokenCache(full, Guid.NewGuid().ToString());
        try
        {
            if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(full) & ~(OwnerOnly | UnixFileMode.UserExecute)) != 0)
            {
                warning = $"the token cache {full} may be read by other users; ignoring it (chmod 600 it, or delete it)";
                return new TokenCache(full, Guid.NewGuid().ToString());
            }
            var lines = File.ReadAllLines(full);
            if (lines.Length < 2 || lines[0] != Magic || !lines[1].StartsWith("client-id ", StringComparison.Ordinal))
            {
                warning = $"the token cache {full} is not in a known format; starting a new one";
                return new TokenCache(full, Guid.NewGuid().ToString());
            }
            var cache = new TokenCache(full, lines[1]["client-id ".Length..].Trim());
            foreach (var line in lines.Skip(2))
                cache.Read(line.Split(' '));
            return cache;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            warning = $"the token cache {full} could not be read ({e.GetType().Name}); continuing without it";
            return new TokenCache(full, Guid.NewGuid().ToString());
        }
    }

    private void Read(string[] fields)
    {
        try
        {
            switch (fields)
            {
                case ["token", var account, var mechanism, var expiry, var token]:
                    _tokens[Text(account)] = new FastToken(mechanism, Text(token), DateTimeOffset.FromUnixTimeSeconds(long.Parse(expiry, CultureInfo.InvariantCulture)));
                    break;
                case ["features", var key, var features]:
                    ServerKnowledge.Import(Text(key), Text(features));
                    break;
            }
        }
        catch (FormatException)
        {
            // A damaged line is skipped.
        }
    }

    /// <summary>Writes the file owner-only, replacing it in one step so a concurrent reader sees the old or the new one.</summary>
    public void Save()
    {
        var text = new StringBuilder().Append(Magic).Append('\n').Append("client-id ").Append(ClientId).Append('\n');
        foreach (var (account, token) in _tokens)
        {
            if (token.Expiry > DateTimeOffset.UtcNow)
                text.Append(CultureInfo.InvariantCulture, $"token {B64(account)} {token.Mechanism} {token.Expiry.ToUnixTimeSeconds()} {B64(token.Token)}\n");
        }
        foreach (var (key, features) in ServerKnowledge.Export())
            text.Append(CultureInfo.InvariantCulture, $"features {B64(key)} {B64(features)}\n");
        var directory = Path.GetDirectoryName(_path)!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(_path)}.{Environment.ProcessId}.tmp");
        var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            create.UnixCreateMode = OwnerOnly;
        try
        {
            using (var stream = new FileStream(temporary, create))
            using (var writer = new StreamWriter(stream, new UTF8Encoding(false)))
                writer.Write(text.ToString());
            File.Move(temporary, _path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary); // gone already after the move; a failed write leaves no secret behind
        }
    }

    public FastToken? Find(Jid account) => _tokens.TryGetValue(account.Bare.ToString(), out var token) ? token : null;

    public void Save(Jid account, FastToken token) => _tokens[account.Bare.ToString()] = token;

    public void Remove(Jid account) => _tokens.TryRemove(account.Bare.ToString(), out _);

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private static string Text(string base64) => Encoding.UTF8.GetString(Convert.FromBase64String(base64));
}
