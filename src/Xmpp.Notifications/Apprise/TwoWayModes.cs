namespace Xmpp.Notifications.Apprise;

/// <summary><c>receipts=</c>: whether person-addressed messages ask for an XEP-0184 receipt, and what a missing one means.</summary>
public enum ReceiptMode
{
    /// <summary><c>receipts=no</c> (default): the server's acknowledgement is the proof of delivery.</summary>
    Off,

    /// <summary><c>receipts=wait</c>: ask, wait up to <c>rto</c> for the recipient's client, report the receipt; a missing one does not fail the target.</summary>
    Wait,

    /// <summary><c>receipts=yes</c> or <c>receipts=require</c>: a target whose client does not confirm within <c>rto</c> fails.</summary>
    Require,
}

public static class ReceiptModes
{
    /// <summary>Reads <c>no</c>, <c>wait</c>, <c>yes</c> or <c>require</c> (any case), as <c>receipts=</c> in a URL.</summary>
    public static bool TryParse(string? text, out ReceiptMode mode)
    {
        mode = ReceiptMode.Off;
        switch (text?.Trim().ToLowerInvariant())
        {
            case "no" or "off":
                return true;
            case "wait":
                mode = ReceiptMode.Wait;
                return true;
            case "yes" or "require":
                mode = ReceiptMode.Require;
                return true;
            default:
                return false;
        }
    }
}

/// <summary>
/// <c>recipients=</c>: where a notification's own targets (a message's <c>to</c>) may send, so that whoever can post a
/// message cannot use the account as a relay to any address it can reach. The URL's own targets are always allowed.
/// </summary>
public enum RecipientPolicy
{
    /// <summary><c>recipients=any</c> (default unless the binding says otherwise): any address.</summary>
    Any,

    /// <summary><c>recipients=url</c>: only the URL's own targets.</summary>
    Url,

    /// <summary><c>recipients=domain</c>: addresses in the account's domain or its subdomains (rooms on <c>conference.</c>), plus allowed domains.</summary>
    Domain,
}

public static class RecipientPolicies
{
    /// <summary>Reads <c>any</c>, <c>url</c> or <c>domain</c> (any case), as <c>recipients=</c> in a URL.</summary>
    public static bool TryParse(string? text, out RecipientPolicy policy)
    {
        foreach (var (name, value) in AppriseXmppUrl.RecipientChoices)
        {
            if (string.Equals(name, text, StringComparison.OrdinalIgnoreCase))
            {
                policy = value;
                return true;
            }
        }
        policy = RecipientPolicy.Any;
        return false;
    }
}

/// <summary><c>offline=</c>: what to do with a person target whose presence shows it is not available.</summary>
public enum OfflinePolicy
{
    /// <summary><c>offline=send</c> (default): send anyway; the server stores it for later.</summary>
    Send,

    /// <summary><c>offline=skip</c>: do not send; the target is reported as skipped, which is not a failure.</summary>
    Skip,

    /// <summary><c>offline=fail</c>: do not send; the target fails.</summary>
    Fail,
}
