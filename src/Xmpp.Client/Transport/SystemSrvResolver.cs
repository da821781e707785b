using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Xmpp.Client.Transport;

/// <summary>
/// SRV lookups through the system resolver (glibc's <c>res_query</c>, honouring /etc/resolv.conf).
/// .NET has no SRV API and no DNS package is available, so this asks libresolv directly; where it is missing
/// (non-glibc systems) lookups return nothing and the domain fallback applies.
/// </summary>
public sealed partial class SystemSrvResolver : ISrvResolver
{
    private const int ClassIn = 1;
    private const int TypeSrv = 33;

    public static SystemSrvResolver Instance { get; } = new();

    public async Task<IReadOnlyList<SrvRecord>> ResolveAsync(string name, CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux())
            return [];
        // res_query blocks; run it off the caller's thread and stop waiting when the caller's token fires.
        return await Task.Run(() => Query(name), cancellationToken).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static IReadOnlyList<SrvRecord> Query(string name)
    {
        var answer = new byte[4096];
        int length;
        try
        {
            length = res_query(name, ClassIn, TypeSrv, answer, answer.Length);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return [];
        }
        return length <= 0 ? [] : Parse(answer.AsSpan(0, Math.Min(length, answer.Length)));
    }

    /// <summary>Reads the SRV answers of a DNS response message (RFC 1035 §4.1, RFC 2782).</summary>
    internal static IReadOnlyList<SrvRecord> Parse(ReadOnlySpan<byte> message)
    {
        if (message.Length < 12)
            return [];
        var questions = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        var answers = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
        var offset = 12;
        var records = new List<SrvRecord>();
        try
        {
            for (var i = 0; i < questions; i++)
            {
                ReadName(message, ref offset);
                offset += 4;
            }
            for (var i = 0; i < answers; i++)
            {
                ReadName(message, ref offset);
                var type = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
                var dataLength = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 8)..]);
                var data = offset + 10;
                if (type == TypeSrv && dataLength >= 7)
                {
                    var priority = BinaryPrimitives.ReadUInt16BigEndian(message[data..]);
                    var weight = BinaryPrimitives.ReadUInt16BigEndian(message[(data + 2)..]);
                    var port = BinaryPrimitives.ReadUInt16BigEndian(message[(data + 4)..]);
                    var targetOffset = data + 6;
                    records.Add(new SrvRecord(ReadName(message, ref targetOffset), port, priority, weight));
                }
                offset = data + dataLength;
            }
        }
        catch (ArgumentOutOfRangeException)
        {
            // A truncated or malformed answer: use what was read.
        }
        catch (FormatException)
        {
        }
        return records;
    }

    private static string ReadName(ReadOnlySpan<byte> message, ref int offset)
    {
        var name = new StringBuilder();
        var position = offset;
        var jumped = false;
        for (var hops = 0; hops < 64; hops++)
        {
            var length = message[position];
            if (length == 0)
            {
                if (!jumped)
                    offset = position + 1;
                return name.Length == 0 ? "." : name.ToString();
            }
            if ((length & 0xC0) == 0xC0)
            {
                var pointer = ((length & 0x3F) << 8) | message[position + 1];
                if (!jumped)
                    offset = position + 2;
                jumped = true;
                position = pointer;
                continue;
            }
            if (name.Length > 0)
                name.Append('.');
            name.Append(Encoding.ASCII.GetString(message.Slice(position + 1, length)));
            position += 1 + length;
        }
        throw new FormatException("DNS name compression loop");
    }

    [LibraryImport("libresolv.so.2", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int res_query(string dname, int @class, int type, [Out] byte[] answer, int anslen);
}
