using Azure.Core;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Azure.WebJobs.Hosting;
using Newtonsoft.Json.Linq;
using Xmpp.Client;
using Xmpp.Notifications;
using Xmpp.Notifications.Apprise;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp;

/// <summary>Options of the XMPP binding, read from host.json <c>extensions:xmpp</c>.</summary>
public sealed class XmppOptions : IOptionsFormatter
{
    public const string DefaultConnectionSettingName = "XmppConnection";

    /// <summary>Name of the app setting used when an attribute names none.</summary>
    public string? Connection { get; set; }

    /// <summary>When set, the limit for establishing one connection (TCP, TLS, authentication), overriding the URL's <c>cto=</c>.</summary>
    public TimeSpan? ConnectTimeout { get; set; }

    /// <summary>When set, the limit for one server response (an acknowledgement, a room join), overriding the URL's <c>rto=</c>.</summary>
    public TimeSpan? ResponseTimeout { get; set; }

    /// <summary>
    /// XEP-0184 receipts for URLs that do not set <c>receipts=</c>: <c>no</c>, <c>wait</c> (report whether the
    /// recipient's client confirmed) or <c>require</c> (a missing confirmation fails the invocation). Null: the URL decides.
    /// </summary>
    public string? Receipts { get; set; }

    /// <summary>Limit for delivering everything one invocation produced, all URLs together.</summary>
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>More messages than this in one invocation fail the invocation.</summary>
    public int MaxMessagesPerInvocation { get; set; } = 100;

    /// <summary>Most recipients a message's own <c>To</c> may name; more fails the invocation before anything is sent.</summary>
    public int MaxRecipientsPerNotification { get; set; } = 50;

    /// <summary>
    /// Most recipients one invocation may deliver to, over all its messages and URLs (a recipient counts once per
    /// message); more fails the invocation before anything is sent. Bounds the fan-out of a request with many targets.
    /// </summary>
    public int MaxRecipientsPerInvocation { get; set; } = 200;

    /// <summary>Most UTF-8 bytes of message text (body, subject, XHTML-IM, extensions) one invocation may send over all its stanzas.</summary>
    public long MaxStanzaBytesPerInvocation { get; set; } = 8L * 1024 * 1024;

    /// <summary>
    /// Where a message's own <c>To</c> may send, for URLs without <c>recipients=</c>: <c>any</c>, <c>url</c> (only the
    /// URL's targets) or <c>domain</c> (the account's domain and its subdomains, plus <see cref="AllowedRecipientDomains"/>).
    /// Null: any. A recipient outside fails the invocation, naming it, before anything is sent.
    /// </summary>
    public string? Recipients { get; set; }

    /// <summary>Further domains (with their subdomains) that <c>recipients=domain</c> allows.</summary>
    public IList<string> AllowedRecipientDomains { get; } = [];

    /// <summary>How long URLs read from a Key Vault secret are reused before the secret is read again.</summary>
    public TimeSpan SecretCacheTtl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long after its TTL ended a secret that was read successfully keeps serving while Key Vault is unreachable,
    /// times out, throttles or fails with 5xx (each use logs a warning). After that, delivery fails with the vault's error.
    /// </summary>
    public TimeSpan SecretGracePeriod { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Host suffixes a Key Vault secret URI may have; empty means those of Key Vault and Managed HSM in every Azure cloud
    /// (<see cref="KeyVault.XmppConnectionResolver.KeyVaultHostSuffixes"/>). Any other host is refused unread.
    /// </summary>
    public IList<string> KeyVaultHostSuffixes { get; } = [];

    /// <summary>Limit for reading one Key Vault secret.</summary>
    public TimeSpan KeyVaultTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Credential for Key Vault; <c>DefaultAzureCredential</c> when null. Set in code only.</summary>
    public TokenCredential? KeyVaultCredential { get; set; }

    /// <summary>Client options for Key Vault (transport, retries). Set in code only.</summary>
    public SecretClientOptions? KeyVaultClientOptions { get; set; }

    internal string ConnectionSettingName(XmppAttribute attribute) =>
        !string.IsNullOrWhiteSpace(attribute.Connection) ? attribute.Connection
        : !string.IsNullOrWhiteSpace(Connection) ? Connection
        : DefaultConnectionSettingName;

    /// <summary>
    /// The notifier's options from these: recipient policy, caps, receipts, and the timeouts applied to each connection
    /// before <paramref name="configureClient"/> (a private CA, a protocol log).
    /// </summary>
    internal XmppNotifierOptions NotifierOptions(Action<XmppClientOptions>? configureClient = null)
    {
        ReceiptMode? receipts = null;
        if (Receipts is { Length: > 0 } text)
        {
            receipts = ReceiptModes.TryParse(text, out var mode)
                ? mode
                : throw new InvalidOperationException($"host.json extensions.xmpp.receipts '{text}' is not no, wait or require.");
        }

        RecipientPolicy? recipients = null;
        if (Recipients is { Length: > 0 } policy)
        {
            recipients = RecipientPolicies.TryParse(policy, out var parsed)
                ? parsed
                : throw new InvalidOperationException($"host.json extensions.xmpp.recipients '{policy}' is not any, url or domain.");
        }
        return new XmppNotifierOptions
        {
            Recipients = recipients,
            AllowedRecipientDomains = AllowedRecipientDomains.ToList(),
            Receipts = receipts,
            MaxRecipientsPerNotification = MaxRecipientsPerNotification,
            MaxRecipientsPerCall = MaxRecipientsPerInvocation,
            MaxStanzaBytesPerCall = MaxStanzaBytesPerInvocation,
            ConfigureClient = client =>
            {
                client.ConnectTimeout = ConnectTimeout ?? client.ConnectTimeout;
                client.ResponseTimeout = ResponseTimeout ?? client.ResponseTimeout;
                configureClient?.Invoke(client);
            },
        };
    }

    /// <summary>Logged by the host at startup; holds no secrets (Connection is a setting name, not its value).</summary>
    public string Format() => new JObject
    {
        [nameof(Connection)] = Connection,
        [nameof(ConnectTimeout)] = ConnectTimeout?.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
        [nameof(ResponseTimeout)] = ResponseTimeout?.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
        [nameof(Receipts)] = Receipts,
        [nameof(DeliveryTimeout)] = DeliveryTimeout.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
        [nameof(MaxMessagesPerInvocation)] = MaxMessagesPerInvocation,
        [nameof(MaxRecipientsPerNotification)] = MaxRecipientsPerNotification,
        [nameof(MaxRecipientsPerInvocation)] = MaxRecipientsPerInvocation,
        [nameof(MaxStanzaBytesPerInvocation)] = MaxStanzaBytesPerInvocation,
        [nameof(Recipients)] = Recipients,
        [nameof(AllowedRecipientDomains)] = new JArray(AllowedRecipientDomains),
        [nameof(SecretCacheTtl)] = SecretCacheTtl.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
        [nameof(KeyVaultTimeout)] = KeyVaultTimeout.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
        [nameof(SecretGracePeriod)] = SecretGracePeriod.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
    }.ToString(Newtonsoft.Json.Formatting.Indented);
}
