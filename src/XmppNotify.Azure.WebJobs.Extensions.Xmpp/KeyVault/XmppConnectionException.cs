namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp.KeyVault;

/// <summary>
/// A connection setting could not be turned into Apprise URLs. The message names the setting or the secret URI,
/// never a setting value or a secret value.
/// </summary>
public sealed class XmppConnectionException : Exception
{
    public XmppConnectionException()
    {
    }

    public XmppConnectionException(string message) : base(message)
    {
    }

    public XmppConnectionException(string message, Exception? innerException) : base(message, innerException)
    {
    }
}
