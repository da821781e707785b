using Microsoft.Azure.WebJobs;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Xmpp.Notifications;
using Xmpp.Notifications.Apprise;
using XmppNotify.Azure.WebJobs.Extensions.Xmpp.Config;
using XmppNotify.Azure.WebJobs.Extensions.Xmpp.KeyVault;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp;

public static class XmppWebJobsBuilderExtensions
{
    /// <summary>
    /// Adds the <see cref="XmppAttribute"/> output binding. Options come from host.json <c>extensions:xmpp</c>, then
    /// <paramref name="configure"/>. Replace <see cref="IXmppNotifier"/> or <see cref="XmppConnectionResolver"/> in DI
    /// before calling this to substitute them.
    /// </summary>
    public static IWebJobsBuilder AddXmpp(this IWebJobsBuilder builder, Action<XmppOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);

        builder.AddExtension<XmppExtensionConfigProvider>().BindOptions<XmppOptions>();
        if (configure is not null)
        {
            builder.Services.Configure(configure);
        }

        builder.Services.TryAddSingleton<IXmppNotifier>(services =>
        {
            var options = services.GetRequiredService<IOptions<XmppOptions>>().Value;
            // An XmppNotifierOptions in DI (a private CA, a protocol log) still applies, after the binding's timeouts.
            var configureClient = services.GetService<XmppNotifierOptions>()?.ConfigureClient;
            ReceiptMode? receipts = null;
            if (options.Receipts is { Length: > 0 } text)
            {
                receipts = ReceiptModes.TryParse(text, out var mode)
                    ? mode
                    : throw new InvalidOperationException($"host.json extensions.xmpp.receipts '{text}' is not no, wait or require.");
            }
            var notifierOptions = new XmppNotifierOptions
            {
                Receipts = receipts,
                ConfigureClient = client =>
                {
                    client.ConnectTimeout = options.ConnectTimeout ?? client.ConnectTimeout;
                    client.ResponseTimeout = options.ResponseTimeout ?? client.ResponseTimeout;
                    configureClient?.Invoke(client);
                },
            };
            var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Host.Bindings.Xmpp");
            return new XmppNotifier(logger, notifierOptions);
        });
        builder.Services.TryAddSingleton(services =>
        {
            var options = services.GetRequiredService<IOptions<XmppOptions>>().Value;
            return new XmppConnectionResolver(
                options.KeyVaultCredential, options.KeyVaultClientOptions, options.SecretCacheTtl, options.KeyVaultTimeout,
                services.GetService<TimeProvider>());
        });

        return builder;
    }
}
