using Microsoft.Azure.WebJobs;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Xmpp.Notifications;
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
            new XmppNotifier(services.GetRequiredService<ILoggerFactory>().CreateLogger("Host.Bindings.Xmpp"), NotifierOptions(services)));
        builder.Services.TryAddSingleton<XmppMetricsForwarder>();
        builder.Services.TryAddSingleton(services => new XmppInbox(NotifierOptions(services)));
        builder.Services.TryAddSingleton(services =>
            new XmppContacts(services.GetRequiredService<ILoggerFactory>().CreateLogger("Host.Bindings.Xmpp"), NotifierOptions(services)));
        builder.Services.TryAddSingleton(services =>
        {
            var options = services.GetRequiredService<IOptions<XmppOptions>>().Value;
            return new XmppConnectionResolver(
                options.KeyVaultCredential, options.KeyVaultClientOptions, options.SecretCacheTtl, options.KeyVaultTimeout,
                services.GetService<TimeProvider>(), options.SecretGracePeriod, options.KeyVaultHostSuffixes.ToList(),
                services.GetRequiredService<ILoggerFactory>().CreateLogger("Host.Bindings.Xmpp"));
        });

        return builder;
    }

    /// <summary>The binding's timeouts and receipts from host.json; an <see cref="XmppNotifierOptions"/> in DI (a private CA, a protocol log) still applies, after them.</summary>
    private static XmppNotifierOptions NotifierOptions(IServiceProvider services) =>
        services.GetRequiredService<IOptions<XmppOptions>>().Value.NotifierOptions(services.GetService<XmppNotifierOptions>()?.ConfigureClient);
}
