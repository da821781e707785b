namespace Xmpp.Client;

/// <summary>The <c>type</c> of a message stanza (RFC 6121 §5.2.2).</summary>
public enum MessageType
{
    Chat,
    Normal,
    Headline,
    Groupchat,
}

/// <summary>A message to send.</summary>
public sealed record OutgoingMessage(Jid To, string? Body)
{
    public MessageType Type { get; init; } = MessageType.Chat;

    public string? Subject { get; init; }

    /// <summary>XHTML-IM (XEP-0071) body content: the inside of the XHTML <c>&lt;body/&gt;</c>, well-formed XML.</summary>
    public string? XhtmlBody { get; init; }

    /// <summary>Extra child elements appended verbatim to the stanza; must be well-formed XML.</summary>
    public string? ExtensionXml { get; init; }

    /// <summary>The stanza id; null generates a unique one.</summary>
    public string? Id { get; init; }

    /// <summary>Ask the recipient's client for an XEP-0184 receipt; await it with <see cref="XmppClient.ReceiptAsync"/>.</summary>
    public bool RequestReceipt { get; init; }

    /// <summary>
    /// An XEP-0359 <c>&lt;origin-id/&gt;</c>: one id for one logical message, kept when it is sent again after a lost
    /// acknowledgement, so that recipients and archives can recognise the copies. Null sends none.
    /// </summary>
    public string? OriginId { get; init; }
}

/// <summary>A message received from the server.</summary>
public sealed record ReceivedMessage(Jid? From, Jid? To, MessageType Type, string? Id, string? Subject, string? Body)
{
    /// <summary>The XHTML-IM body as XML text, when present.</summary>
    public string? XhtmlBody { get; init; }

    /// <summary>For groupchat messages: the occupant nickname (resource of From).</summary>
    public string? Nickname => Type == MessageType.Groupchat ? From?.Resource : null;

    /// <summary>Set for <c>type='error'</c> bounces.</summary>
    public StanzaError? Error { get; init; }

    /// <summary>True for messages carrying a delay stamp (XEP-0203), e.g. MUC history or offline storage.</summary>
    public bool IsDelayed { get; init; }

    /// <summary>The whole stanza as XML text.</summary>
    public required string Xml { get; init; }
}

/// <summary>What became of the messages sent in a session, as known when it was closed or flushed.</summary>
public sealed record DeliveryReport(IReadOnlyList<string> Acknowledged, IReadOnlyList<MessageBounce> Bounced, IReadOnlyList<string> Unacknowledged)
{
    public bool AllDelivered => Bounced.Count == 0 && Unacknowledged.Count == 0;
}

/// <summary>A message the server (or the recipient's server) sent back as <c>type='error'</c>.</summary>
public sealed record MessageBounce(string Id, Jid? To, StanzaError Error);
