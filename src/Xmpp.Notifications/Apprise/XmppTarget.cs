using Xmpp.Client;

namespace Xmpp.Notifications.Apprise;

/// <summary>How a message reaches a target: a one-to-one <c>chat</c> or a MUC room (<c>groupchat</c>).</summary>
public enum XmppTargetKind
{
    Chat,
    Groupchat,
}

/// <summary>
/// One recipient of an Apprise XMPP URL. <see cref="Source"/> is the text it was written as (for messages and dry
/// runs); it is provenance only, so equality compares <see cref="Jid"/> and <see cref="Kind"/>.
/// </summary>
public sealed record XmppTarget(Jid Jid, XmppTargetKind Kind, string Source)
{
    public bool Equals(XmppTarget? other) =>
        other is not null && Jid.Equals(other.Jid) && Kind == other.Kind;

    public override int GetHashCode() => HashCode.Combine(Jid, Kind);

    public override string ToString() => (Kind == XmppTargetKind.Groupchat ? "#" : "") + Jid;
}

/// <summary>A target that could not be turned into a JID; reported to the caller, never dropped silently.</summary>
public sealed record InvalidTarget(string Text, string Reason);
