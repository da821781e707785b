namespace Xmpp.Client.Sasl;

/// <summary>
/// Channel-binding data of the current TLS connection (RFC 5929 / RFC 9266).
/// <paramref name="Type"/> is <c>tls-unique</c>, <c>tls-server-end-point</c> or <c>tls-exporter</c>.
/// </summary>
#pragma warning disable CA1819 // The binding bytes are handed over once from the TLS layer; copying them buys nothing.
public sealed record ChannelBinding(string Type, byte[] Data)
#pragma warning restore CA1819
{
    public const string TlsUnique = "tls-unique";
    public const string TlsServerEndPoint = "tls-server-end-point";
    public const string TlsExporter = "tls-exporter";

    // The data is key material for the channel; the log should not carry it.
    public override string ToString() => $"ChannelBinding {{ Type = {Type}, Data = {Data?.Length ?? 0} bytes }}";
}
