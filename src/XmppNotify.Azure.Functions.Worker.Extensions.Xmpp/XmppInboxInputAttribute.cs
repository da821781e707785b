using Microsoft.Azure.Functions.Worker.Extensions.Abstractions;

namespace XmppNotify.Azure.Functions.Worker.Extensions.Xmpp;

/// <summary>
/// Input binding: what arrived for the account since <see cref="Checkpoint"/>, read by the host in one XMPP session,
/// as JSON <c>{checkpoint, more, source, items: [{kind, archiveId, id, from, to, type, body, subject, thread,
/// timestamp, stanza, truncated}]}</c>. Bind a <c>string</c>; store <c>checkpoint</c> only after handling the items.
/// </summary>
/// <remarks>The worker SDK names the binding <c>"xmppInbox"</c>; the host maps it to the extension's <c>XmppInboxAttribute</c>.</remarks>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class XmppInboxInputAttribute : InputBindingAttribute
{
    public XmppInboxInputAttribute()
    {
        Connection = XmppOutputAttribute.DefaultConnectionSetting;
    }

    /// <summary>App setting holding the Apprise XMPP URL (or a Key Vault secret URI); default <c>XmppConnection</c>.</summary>
    [DefaultValue(XmppOutputAttribute.DefaultConnectionSetting)]
    public string? Connection { get; set; }

    /// <summary>The previous batch's checkpoint, usually a binding expression; empty starts from now.</summary>
    public string? Checkpoint { get; set; }

    /// <summary>Most items per batch, 1 to 1000 (default 100).</summary>
    public int MaxItems { get; set; } = 100;
}
