using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Xmpp.Client.Sasl;

/// <summary>
/// Remembers SCRAM SaltedPassword values so PBKDF2 (deliberately slow: thousands of iterations) runs once
/// per (hash, password, salt, iteration count) per process instead of on every reconnect.
/// Bounded; least recently used entries are evicted. The clear password is never stored: entries are keyed
/// by an HMAC under a random per-process key, so a memory dump of the keys cannot be brute-forced offline
/// without that key.
/// </summary>
public static class ScramSaltedPasswordCache
{
    /// <summary>Most entries kept. One per account and server salt; a process rarely has more than a few.</summary>
    public const int Capacity = 256;

    private static readonly byte[] KeyingSecret = RandomNumberGenerator.GetBytes(32);
    private static readonly object Gate = new();
    private static readonly Dictionary<string, LinkedListNode<Entry>> Entries = new(StringComparer.Ordinal);
    private static readonly LinkedList<Entry> RecentFirst = new();
    private static long _pbkdf2Computations;

    /// <summary>How many times PBKDF2 actually ran in this process (for tests).</summary>
    internal static long Pbkdf2Computations => Interlocked.Read(ref _pbkdf2Computations);

    internal static int Count
    {
        get
        {
            lock (Gate)
            {
                return Entries.Count;
            }
        }
    }

    /// <summary>Forgets every entry, e.g. after a password change.</summary>
    /// <remarks>
    /// Dropped values are not zeroed: another thread may be copying one out for an authentication in progress.
    /// </remarks>
    public static void Clear()
    {
        lock (Gate)
        {
            Entries.Clear();
            RecentFirst.Clear();
        }
    }

    /// <summary>Returns a fresh copy of SaltedPassword := Hi(password, salt, i); the caller may zero it.</summary>
    internal static byte[] GetSaltedPassword(ScramHash hash, string preparedPassword, byte[] salt, int iterations)
    {
        var key = CacheKey(hash, preparedPassword, salt, iterations);
        Entry entry;
        lock (Gate)
        {
            if (Entries.TryGetValue(key, out var node))
            {
                RecentFirst.Remove(node);
                RecentFirst.AddFirst(node);
                entry = node.Value;
            }
            else
            {
                entry = new Entry(key, hash, preparedPassword, salt, iterations);
                Entries[key] = RecentFirst.AddFirst(entry);
                while (Entries.Count > Capacity)
                {
                    var oldest = RecentFirst.Last!;
                    RecentFirst.RemoveLast();
                    Entries.Remove(oldest.Value.Key);
                }
            }
        }

        // PBKDF2 runs outside the lock so different accounts do not wait for each other;
        // Lazy makes concurrent callers of the same key share one computation.
        try
        {
            return (byte[])entry.Value.Clone();
        }
        catch
        {
            lock (Gate)
            {
                if (Entries.TryGetValue(key, out var node) && ReferenceEquals(node.Value, entry))
                {
                    Entries.Remove(key);
                    RecentFirst.Remove(node);
                }
            }

            throw;
        }
    }

    private static string CacheKey(ScramHash hash, string preparedPassword, byte[] salt, int iterations)
    {
        using var mac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, KeyingSecret);
        Span<byte> number = stackalloc byte[4];

        // Length prefixes keep (password "ab", salt "c") and (password "a", salt "bc") apart.
        BinaryPrimitives.WriteInt32BigEndian(number, (int)hash);
        mac.AppendData(number);

        var passwordBytes = Encoding.UTF8.GetBytes(preparedPassword);
        BinaryPrimitives.WriteInt32BigEndian(number, passwordBytes.Length);
        mac.AppendData(number);
        mac.AppendData(passwordBytes);
        CryptographicOperations.ZeroMemory(passwordBytes);

        BinaryPrimitives.WriteInt32BigEndian(number, salt.Length);
        mac.AppendData(number);
        mac.AppendData(salt);

        BinaryPrimitives.WriteInt32BigEndian(number, iterations);
        mac.AppendData(number);
        return Convert.ToHexString(mac.GetHashAndReset());
    }

    private sealed class Entry
    {
        private readonly Lazy<byte[]> _saltedPassword;

        public Entry(string key, ScramHash hash, string preparedPassword, byte[] salt, int iterations)
        {
            Key = key;
            var saltCopy = (byte[])salt.Clone();
            _saltedPassword = new Lazy<byte[]>(
                () =>
                {
                    Interlocked.Increment(ref _pbkdf2Computations);
                    var passwordBytes = Encoding.UTF8.GetBytes(preparedPassword);
                    try
                    {
                        return Rfc2898DeriveBytes.Pbkdf2(passwordBytes, saltCopy, iterations, hash.AlgorithmName(), hash.OutputLength());
                    }
                    finally
                    {
                        CryptographicOperations.ZeroMemory(passwordBytes);
                    }
                },
                LazyThreadSafetyMode.ExecutionAndPublication);
        }

        public string Key { get; }

        public byte[] Value => _saltedPassword.Value;
    }
}
