namespace Xmpp.Client;

/// <summary>Receives the raw protocol exchange. Credentials are already redacted when these are called.</summary>
public interface IProtocolLogger
{
    void LogConnect(string host, int port, SecureSocketOptions security);

    /// <summary>Text the client sent (SASL payloads carrying secrets are replaced by <c>[redacted]</c>).</summary>
    void LogClient(string text);

    /// <summary>Text the server sent (SASL challenge and success payloads are replaced by <c>[redacted]</c>).</summary>
    void LogServer(string text);
}

/// <summary>What the protocol log shows of the server's elements.</summary>
internal static class ProtocolRedaction
{
    /// <summary>
    /// SASL challenges and success data carry the SCRAM salt, iteration count, nonces and server signature: with the
    /// client's messages they allow an offline dictionary attack on the password, so their payload is never logged.
    /// </summary>
    public static string ServerElement(System.Xml.Linq.XElement element)
    {
        if (element.Name.NamespaceName == Namespaces.Sasl && element.Name.LocalName is "challenge" or "success" && element.Value.Trim().Length > 0 && element.Value.Trim() != "=")
            return $"<{element.Name.LocalName} xmlns='{Namespaces.Sasl}'>[redacted]</{element.Name.LocalName}>";
        if (element.Name.NamespaceName == Namespaces.Sasl2 && element.Name.LocalName is "challenge" or "success")
            return Sasl2Element(element);
        return element.ToString(System.Xml.Linq.SaveOptions.DisableFormatting);
    }

    /// <summary>
    /// A SASL2 challenge or success: the SASL payloads as above, and a FAST token (XEP-0484), a secret that logs in
    /// as the account, are replaced; the rest (bound JID, inline results) stays readable.
    /// </summary>
    private static string Sasl2Element(System.Xml.Linq.XElement element)
    {
        var copy = new System.Xml.Linq.XElement(element);
        if (copy.Name.LocalName == "challenge")
            copy.Value = "[redacted]";
        foreach (var data in copy.Elements(System.Xml.Linq.XName.Get("additional-data", Namespaces.Sasl2)))
            data.Value = "[redacted]";
        foreach (var token in copy.Descendants(System.Xml.Linq.XName.Get("token", Namespaces.Fast)))
            token.SetAttributeValue("token", "[redacted]");
        return copy.ToString(System.Xml.Linq.SaveOptions.DisableFormatting);
    }
}
