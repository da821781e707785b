using Microsoft.Azure.WebJobs.Description;
using Microsoft.Azure.WebJobs.Host.Config;
using Microsoft.Azure.WebJobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Newtonsoft.Json.Linq;
using Xmpp.Notifications.Contracts;
using Xmpp.Notifications;
using XmppNotify.Azure.WebJobs.Extensions.Xmpp.Bindings;
using XmppNotify.Azure.WebJobs.Extensions.Xmpp.KeyVault;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp.Config;

/// <summary>Registers the <see cref="XmppAttribute"/> output binding with the WebJobs host.</summary>
[Extension("Xmpp")]
internal sealed class XmppExtensionConfigProvider : IExtensionConfigProvider
{
    private readonly XmppOptions _options;
    private readonly IConfiguration _configuration;
    private readonly XmppConnectionResolver _resolver;
    private readonly IXmppNotifier _notifier;
    private readonly XmppContacts _contacts;
    private readonly XmppInbox _inbox;
    private readonly ILogger _logger;

    public XmppExtensionConfigProvider(
        IOptions<XmppOptions> options,
        IConfiguration configuration,
        XmppConnectionResolver resolver,
        IXmppNotifier notifier,
        XmppContacts contacts,
        XmppInbox inbox,
        ILoggerFactory loggerFactory,
        XmppMetricsForwarder metrics)
    {
        // Taken so that the forwarder listens from the host's start; the container disposes it.
        _ = metrics;
        _inbox = inbox;
        _contacts = contacts;
        _options = options.Value;
        _configuration = configuration;
        _resolver = resolver;
        _notifier = notifier;
        _logger = loggerFactory.CreateLogger("Host.Bindings.Xmpp");
    }

    public void Initialize(ExtensionConfigContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        // Every shape converts to a batch, the rule's collected type, so that one string or byte[] holding a JSON array
        // fans out. With a byte[] converter the host's default collector (for the isolated worker) is IAsyncCollector<byte[]>.
        context
            .AddConverter<byte[], XmppMessageBatch>(XmppMessageReader.FromBytes)
            .AddConverter<string, XmppMessageBatch>(XmppMessageReader.FromString)
            .AddConverter<JObject, XmppMessageBatch>(XmppMessageReader.FromJObject)
            .AddConverter<JArray, XmppMessageBatch>(XmppMessageReader.FromJArray)
            .AddConverter<XmppMessage, XmppMessageBatch>(m => new XmppMessageBatch([m]));

#pragma warning disable CS0618 // FluentBindingRule is marked "not ready for public consumption" but is how every WebJobs extension binds.
        var rule = context.AddBindingRule<XmppAttribute>();
        rule.AddValidator(Validate);
        rule.BindToCollector<XmppMessageBatch>(CreateCollector);

        var presence = context.AddBindingRule<XmppPresenceAttribute>();
        var converter = new XmppInputConverter(_options, ReadSetting, _resolver, _contacts, _inbox);
        presence.BindToInput<ContactAvailability[]>(converter);
        presence.BindToInput<IReadOnlyList<ContactAvailability>>(async (attribute, ct) => await converter.ConvertAsync(attribute, ct).ConfigureAwait(false));
        presence.BindToInput<JArray>(async (attribute, ct) => XmppInputConverter.ToJArray(await converter.ConvertAsync(attribute, ct).ConfigureAwait(false)));
        presence.BindToInput<string>(async (attribute, ct) =>
            XmppInputConverter.ToJArray(await converter.ConvertAsync(attribute, ct).ConfigureAwait(false)).ToString(Newtonsoft.Json.Formatting.None));

        var inbox = context.AddBindingRule<XmppInboxAttribute>();
        inbox.BindToInput<InboxBatch>(converter);
        inbox.BindToInput<JObject>(async (attribute, ct) => XmppInputConverter.ToJObject(await converter.ConvertAsync(attribute, ct).ConfigureAwait(false)));
        inbox.BindToInput<string>(async (attribute, ct) =>
            XmppInputConverter.ToJObject(await converter.ConvertAsync(attribute, ct).ConfigureAwait(false)).ToString(Newtonsoft.Json.Formatting.None));
#pragma warning restore CS0618
    }

    private XmppMessageAsyncCollector CreateCollector(XmppAttribute attribute) =>
        new(attribute, _options, ReadSetting, _resolver, _notifier, _logger);

    private string? ReadSetting(string name) => _configuration.GetConnectionStringOrSetting(name);

    /// <summary>Runs at indexing (host start), so configuration mistakes stop the host with a clear message.</summary>
    private void Validate(XmppAttribute attribute, Type parameterType)
    {
        // {binding} expressions are resolved per invocation; only literal values can be checked now.
        if (IsLiteral(attribute.Format) && !NotificationFields.TryParseFormat(attribute.Format, out _))
        {
            throw new InvalidOperationException($"[Xmpp] Format '{attribute.Format}' is not valid; expected {NotificationFields.Formats}.");
        }

        if (IsLiteral(attribute.Type) && !NotificationFields.TryParseType(attribute.Type, out _))
        {
            throw new InvalidOperationException($"[Xmpp] Type '{attribute.Type}' is not valid; expected {NotificationFields.Types}.");
        }

        string settingName = _options.ConnectionSettingName(attribute);
        try
        {
            XmppConnectionValidation.Validate(settingName, ReadSetting(settingName));
        }
        catch (XmppConnectionException e)
        {
            throw new InvalidOperationException(e.Message, e);
        }
    }

    private static bool IsLiteral(string? value) => !string.IsNullOrEmpty(value) && !value.Contains('{', StringComparison.Ordinal);
}
