using Microsoft.Azure.Functions.Worker.Extensions.Abstractions;
using Xmpp.Notifications.Contracts;

namespace XmppNotify.Azure.Functions.Worker.Extensions.Xmpp;

/// <summary>
/// Sends the function's return value (or the annotated property of a multi-output type) as XMPP notifications:
/// an <see cref="XmppMessage"/>, an array of them, or their JSON.
/// </summary>
/// <remarks>
/// <para>
/// This attribute only describes the binding; the host delivers. The worker SDK derives the binding type from the
/// class name by removing <c>Attribute</c> and <c>Output</c> and lower-casing the first letter, so
/// <c>XmppOutputAttribute</c> becomes <c>"xmpp"</c>. The Functions host maps <c>"xmpp"</c> to the WebJobs
/// <c>[Binding]</c> attribute named <c>XmppAttribute</c> in the <c>XmppNotify.Azure.WebJobs.Extensions.Xmpp</c> extension and copies the
/// properties below into it by name, ignoring case. That is why the class must keep its name, derive directly from
/// <see cref="OutputBindingAttribute"/> (the SDK classifies bindings by the direct base class) and keep its property
/// names equal to those of the host attribute.
/// </para>
/// <para>
/// Generated metadata looks like
/// <c>{"name":"$return","type":"xmpp","direction":"Out","connection":"XmppConnection"}</c>.
/// Values are sent to the host as JSON with PascalCase property names; the host reads names in any case.
/// </para>
/// </remarks>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Property)]
public sealed class XmppOutputAttribute : OutputBindingAttribute
{
    /// <summary>The app setting read when <see cref="Connection"/> is not set.</summary>
    public const string DefaultConnectionSetting = "XmppConnection";

    /// <summary>Creates the attribute with <see cref="Connection"/> set to <see cref="DefaultConnectionSetting"/>.</summary>
    public XmppOutputAttribute()
    {
        Connection = DefaultConnectionSetting;
    }

    /// <summary>
    /// Name of the app setting holding the Apprise XMPP URL(s) (<c>xmpp://</c>, <c>xmpps://</c>), or a Key Vault
    /// secret URI that holds them. Default <c>XmppConnection</c>.
    /// </summary>
    /// <remarks>
    /// The constructor's value is invisible to the SDK's metadata generator, which reads attribute syntax, not object
    /// state; <see cref="DefaultValueAttribute"/> is what puts the default into the generated metadata.
    /// </remarks>
    [DefaultValue(DefaultConnectionSetting)]
    public string? Connection { get; set; }

    /// <summary>Default recipients when a message sets none: JIDs, bare localparts or <c>#room@conference.host</c>; may use <c>%setting%</c> and <c>{binding}</c> expressions.</summary>
    public string? To { get; set; }

    /// <summary>Default title when a message sets none; may use binding expressions.</summary>
    public string? Title { get; set; }

    /// <summary>Default body when a message sets none; may use binding expressions.</summary>
    public string? Body { get; set; }

    /// <summary>Default body format when a message sets none: <c>text</c>, <c>markdown</c> or <c>html</c>.</summary>
    public string? Format { get; set; }

    /// <summary>Default message type for person targets when a message sets none: <c>chat</c>, <c>normal</c> or <c>headline</c>.</summary>
    public string? Type { get; set; }

    /// <summary>
    /// Apprise tag selection when the connection is an Apprise configuration with tags: <c>ops</c>, <c>ops,db</c> (both),
    /// <c>ops;dev</c> (either), <c>all</c>. Without a tag only untagged URLs are used, as in Apprise.
    /// </summary>
    public string? Tag { get; set; }
}
