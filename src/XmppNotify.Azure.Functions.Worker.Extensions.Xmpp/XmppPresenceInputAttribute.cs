using Microsoft.Azure.Functions.Worker.Extensions.Abstractions;

namespace XmppNotify.Azure.Functions.Worker.Extensions.Xmpp;

/// <summary>
/// Input binding: contacts' availability read by the host in one XMPP session when the function starts, as a JSON
/// array of <c>{contact, state, resources: [{resource, show, status, priority}], error}</c> where <c>state</c> is
/// <c>available</c>, <c>offline</c> or <c>unknown</c> (not subscribed: invite the contact first). Bind a <c>string</c>.
/// </summary>
/// <remarks>
/// The worker SDK names the binding <c>"xmppPresence"</c> (the class name without <c>Input</c> and <c>Attribute</c>);
/// the host maps it to the extension's <c>XmppPresenceAttribute</c> and copies the properties by name.
/// </remarks>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class XmppPresenceInputAttribute : InputBindingAttribute
{
    public XmppPresenceInputAttribute()
    {
        Connection = XmppOutputAttribute.DefaultConnectionSetting;
    }

    /// <summary>App setting holding the Apprise XMPP URL (or a Key Vault secret URI); default <c>XmppConnection</c>.</summary>
    [DefaultValue(XmppOutputAttribute.DefaultConnectionSetting)]
    public string? Connection { get; set; }

    /// <summary>Contacts separated by commas, semicolons or whitespace; default: the URL's person targets. May use binding expressions.</summary>
    public string? Contacts { get; set; }
}
