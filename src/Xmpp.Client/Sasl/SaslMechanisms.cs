using System.Security.Authentication;

namespace Xmpp.Client.Sasl;

/// <summary>Mechanism and channel-binding negotiation.</summary>
public static class SaslMechanisms
{
    /// <summary>Client preference, strongest first.</summary>
    public static IReadOnlyList<string> PreferenceOrder { get; } =
    [
        "SCRAM-SHA-512-PLUS",
        "SCRAM-SHA-256-PLUS",
        "SCRAM-SHA-1-PLUS",
        "SCRAM-SHA-512",
        "SCRAM-SHA-256",
        "SCRAM-SHA-1",
        "PLAIN",
    ];

    /// <summary>
    /// Picks the strongest mechanism that the server offers, the caller allows and the connection permits.
    /// -PLUS needs <paramref name="allowChannelBinding"/> and <paramref name="binding"/>; PLAIN needs
    /// <paramref name="allowPlain"/> (TLS, or plaintext chosen by the user). Returns null when nothing fits.
    /// </summary>
    public static SaslMechanism? Select(
        IReadOnlyCollection<string> offered,
        SaslCredentials credentials,
        ChannelBinding? binding,
        bool allowChannelBinding,
        bool allowPlain,
        IReadOnlyCollection<string>? allowed)
    {
        ArgumentNullException.ThrowIfNull(offered);
        ArgumentNullException.ThrowIfNull(credentials);

        var canBind = allowChannelBinding && binding is not null;
        var serverOffersPlus = offered.Any(name => name.EndsWith("-PLUS", StringComparison.OrdinalIgnoreCase));

        foreach (var name in PreferenceOrder)
        {
            if (!Contains(offered, name) || (allowed is not null && !Contains(allowed, name)))
            {
                continue;
            }

            var isPlus = name.EndsWith("-PLUS", StringComparison.Ordinal);
            if (isPlus && !canBind)
            {
                continue;
            }

            if (name == "PLAIN")
            {
                if (!allowPlain)
                {
                    continue;
                }

                return new SaslMechanismPlain(credentials);
            }

            var hash = HashOf(name);
            if (isPlus)
            {
                return new SaslMechanismScram(hash, credentials, binding, clientSupportsBindingButNotUsed: false);
            }

            // RFC 5802 §6 flag 'y' says "I can bind, but you did not offer -PLUS"; a server that does support
            // -PLUS then knows an attacker stripped it from its list. If the server offered -PLUS and we still
            // do not use it (disallowed, or no binding data), 'y' would make such a server fail us, so send 'n'.
            // When the user turned channel binding off we claim no support at all ('n').
            var flagY = canBind && !serverOffersPlus;
            return new SaslMechanismScram(hash, credentials, binding: null, clientSupportsBindingButNotUsed: flagY);
        }

        return null;
    }

    /// <summary>
    /// Chooses the channel-binding type for -PLUS, or null to not use -PLUS at all.
    /// </summary>
    /// <param name="advertisedTypes">Types from XEP-0440 <c>&lt;sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'/&gt;</c>; may be empty.</param>
    /// <param name="protocol">The negotiated TLS version.</param>
    /// <param name="data">Gives the binding data for a type, or null when the platform cannot produce it.</param>
    public static ChannelBinding? ChooseChannelBinding(
        IReadOnlyCollection<string> advertisedTypes,
        SslProtocols protocol,
        Func<string, byte[]?> data)
    {
        ArgumentNullException.ThrowIfNull(advertisedTypes);
        ArgumentNullException.ThrowIfNull(data);

        var isTls13OrLater = protocol >= SslProtocols.Tls13;
        var isTls12OrEarlier = protocol != SslProtocols.None && protocol <= SslProtocols.Tls12;

        if (advertisedTypes.Count > 0)
        {
            // The server told us what it can verify (XEP-0440): take the strongest of those we can produce.
            // tls-exporter (RFC 9266) is the TLS 1.3 binding; tls-server-end-point works on any version but only
            // binds the certificate; tls-unique is last because it is undefined on TLS 1.3 and weak on 1.2
            // without extended master secret.
            foreach (var type in new[] { ChannelBinding.TlsExporter, ChannelBinding.TlsServerEndPoint, ChannelBinding.TlsUnique })
            {
                if (type == ChannelBinding.TlsUnique && isTls13OrLater)
                {
                    continue;
                }

                if (!Contains(advertisedTypes, type))
                {
                    continue;
                }

                var bytes = data(type);
                if (bytes is { Length: > 0 })
                {
                    return new ChannelBinding(type, bytes);
                }
            }

            return null;
        }

        // Nothing advertised: we must guess what the server will verify, and a wrong guess fails the login
        // instead of falling back. On TLS 1.2 and earlier, RFC 5929 makes tls-unique the default and some
        // servers (Prosody 0.12) implement only that. On TLS 1.3, tls-unique does not exist (RFC 9266), and
        // servers disagree on the replacement: some expect tls-exporter, ejabberd rejects tls-server-end-point.
        // So without an advertisement on TLS 1.3 we do not use -PLUS at all.
        if (isTls12OrEarlier)
        {
            var unique = data(ChannelBinding.TlsUnique);
            if (unique is { Length: > 0 })
            {
                return new ChannelBinding(ChannelBinding.TlsUnique, unique);
            }
        }

        return null;
    }

    private static ScramHash HashOf(string mechanismName) => mechanismName switch
    {
        _ when mechanismName.StartsWith("SCRAM-SHA-512", StringComparison.Ordinal) => ScramHash.Sha512,
        _ when mechanismName.StartsWith("SCRAM-SHA-256", StringComparison.Ordinal) => ScramHash.Sha256,
        _ when mechanismName.StartsWith("SCRAM-SHA-1", StringComparison.Ordinal) => ScramHash.Sha1,
        _ => throw new ArgumentOutOfRangeException(nameof(mechanismName)),
    };

    // Mechanism names are upper case by RFC 4422, but being lenient about case costs nothing.
    private static bool Contains(IReadOnlyCollection<string> names, string name) =>
        names.Any(candidate => string.Equals(candidate?.Trim(), name, StringComparison.OrdinalIgnoreCase));
}
