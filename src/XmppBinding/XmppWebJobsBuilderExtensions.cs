using Microsoft.Azure.WebJobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Xmpp.Binding.Config;
using Xmpp.Binding.KeyVault;

namespace Xmpp.Binding;

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

        // TODO: enable once Xmpp.Binding.XmppNotifier lands (being written by the lead).
        // builder.Services.TryAddSingleton<IXmppNotifier, XmppNotifier>();
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
