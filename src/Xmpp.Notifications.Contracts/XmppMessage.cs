using System.Text.Json.Serialization;

namespace Xmpp.Notifications.Contracts;

/// <summary>
/// One notification to deliver over XMPP: what a function returns through <c>[XmppOutput]</c> (isolated worker) or
/// <c>[Xmpp]</c> (host). Serialized as JSON; readers accept property names in any case, because the isolated worker
/// sends PascalCase (System.Text.Json defaults) while hand-written JSON is usually camelCase.
/// </summary>
public sealed class XmppMessage
{
    /// <summary>Recipients overriding the URL's targets: JIDs, bare localparts or <c>#room@conference.host</c>, separated by commas, semicolons or whitespace.</summary>
    [JsonPropertyName("to")]
    public string? To { get; set; }

    /// <summary>Optional title: the <c>&lt;subject&gt;</c> or the first line of the body, depending on the URL's <c>subject=</c>.</summary>
    [JsonPropertyName("title")]
    public string? Title { get; set; }

    /// <summary>The text to send, in <see cref="Format"/>; a message needs a title or a body (at most 64 KiB of UTF-8 each).</summary>
    [JsonPropertyName("body")]
    public string? Body { get; set; }

    /// <summary><c>text</c> (default), <c>markdown</c> or <c>html</c>.</summary>
    [JsonPropertyName("format")]
    public string? Format { get; set; }

    /// <summary><c>chat</c> (default), <c>normal</c> or <c>headline</c>; rooms always get <c>groupchat</c>.</summary>
    [JsonPropertyName("type")]
    public string? Type { get; set; }

    /// <summary>
    /// The stanza id to use instead of a generated one (1 to 128 characters, no spaces). Further stanzas of the same
    /// message (more targets, split parts) get <c>id-2</c>, <c>id-3</c>, … so that each stays traceable.
    /// </summary>
    [JsonPropertyName("id")]
    public string? Id { get; set; }

    /// <summary>
    /// Extra child elements for the stanza, as XML text, for custom clients: each element in a namespace of its own
    /// (not jabber:client, XHTML-IM or receipts), at most 16 KiB, no DTD.
    /// </summary>
    [JsonPropertyName("extensionXml")]
    public string? ExtensionXml { get; set; }

    /// <summary>
    /// Apprise tag selection for this message, replacing the binding's <c>Tag</c>: <c>ops</c>, <c>ops,db</c> (URLs
    /// tagged both), <c>ops;dev</c> (either), <c>all</c>. Applies when the connection is an Apprise configuration.
    /// </summary>
    [JsonPropertyName("tag")]
    public string? Tag { get; set; }

    /// <summary>
    /// Selects a stored configuration under the binding's connection setting: the app setting
    /// <c>&lt;Connection&gt;__&lt;key&gt;</c> (1 to 128 letters, digits, <c>_</c> or <c>-</c>) instead of the setting itself.
    /// This is how <c>POST /api/notify/{key}</c> (the Apprise API's route) picks a configuration.
    /// </summary>
    [JsonPropertyName("key")]
    public string? Key { get; set; }
}
