using Microsoft.Azure.WebJobs.Description;
using Microsoft.Azure.WebJobs;
using Xmpp.Notifications.Contracts;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp;

/// <summary>
/// Sends the messages a function produces over XMPP when the function completes. Binds <c>out XmppMessage</c>,
/// <c>out XmppMessage[]</c>, <c>IAsyncCollector&lt;XmppMessage&gt;</c>, <c>ICollector&lt;XmppMessage&gt;</c>, return values,
/// and the raw shapes <c>string</c>, <c>byte[]</c> and <c>JObject</c> (JSON text of one message or an array of messages,
/// or plain text used as the body). Values set here fill in what a message leaves empty.
/// </summary>
[Binding]
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.ReturnValue)]
public sealed class XmppAttribute : Attribute, IConnectionProvider
{
    /// <summary>
    /// Name of the app setting holding the connection: one or more Apprise XMPP URLs, or a Key Vault secret URI whose
    /// secret holds them. Defaults to <see cref="XmppOptions.Connection"/>, else <c>XmppConnection</c>.
    /// The setting's value is never written to logs or error messages.
    /// </summary>
    public string? Connection { get; set; }

    /// <summary>Default recipients: JIDs, bare localparts or <c>#room@conference.host</c>, separated by commas, semicolons or whitespace.</summary>
    [AutoResolve]
    public string? To { get; set; }

    [AutoResolve]
    public string? Title { get; set; }

    [AutoResolve]
    public string? Body { get; set; }

    /// <summary><c>text</c>, <c>markdown</c> or <c>html</c>.</summary>
    [AutoResolve]
    public string? Format { get; set; }

    /// <summary><c>chat</c>, <c>normal</c> or <c>headline</c>.</summary>
    [AutoResolve]
    public string? Type { get; set; }

    /// <summary>
    /// Apprise tag selection when the connection is an Apprise configuration with tags: <c>ops</c> sends to the URLs
    /// tagged ops, <c>ops,db</c> to those tagged both, <c>ops;dev</c> to those tagged either, <c>all</c> to every URL.
    /// Without a tag only untagged URLs are used, as in Apprise.
    /// </summary>
    [AutoResolve]
    public string? Tag { get; set; }
}
