using System.Xml.Linq;
using Xmpp.Client.Sasl;
using Xmpp.Client.Xml;

namespace Xmpp.Client;

/// <summary>What a server offers in XEP-0388 <c>&lt;authentication/&gt;</c>: mechanisms and the inline features (Bind 2, FAST).</summary>
internal sealed record Sasl2Offer(string[] Mechanisms, bool Bind2, IReadOnlySet<string> FastMechanisms)
{
    public static Sasl2Offer? From(XElement features)
    {
        var authentication = features.Element(XName.Get("authentication", Namespaces.Sasl2));
        if (authentication is null)
            return null;
        var mechanisms = authentication.Elements(XName.Get("mechanism", Namespaces.Sasl2)).Select(m => m.Value.Trim()).Where(m => m.Length > 0).ToArray();
        var inline = authentication.Element(XName.Get("inline", Namespaces.Sasl2));
        var fast = inline?.Element(XName.Get("fast", Namespaces.Fast))?.Elements(XName.Get("mechanism", Namespaces.Fast))
            .Select(m => m.Value.Trim()).ToHashSet(StringComparer.Ordinal) ?? [];
        return new Sasl2Offer(mechanisms, inline?.Element(XName.Get("bind", Namespaces.Bind2)) is not null, fast);
    }
}

/// <summary>
/// XEP-0388 Extensible SASL Profile with inline Bind 2 (XEP-0386) and FAST (XEP-0484), for pipelined logins
/// (<see cref="XmppClientOptions.PipelineLogin"/>): authentication and resource binding in one exchange, no stream
/// restart, and the first stanzas in the flight of the client's last SASL message. Used only where the server offers
/// SASL2 with Bind 2; otherwise the login is SASL + RFC 6120 bind as before.
/// </summary>
public sealed partial class XmppClient
{
    private const int MaxSasl2Rounds = 10;

    /// <summary>The condition of the failure raised when a login sent on learnt features meets a server that changed.</summary>
    internal const string StaleFeaturesCondition = "unsupported-feature";

    // The mechanism whose outcome (<success/> or <failure/>) the read loop still has to read.
    private SaslMechanism? _sasl2Pending;

    // True when the stream header and the features were sent for with the <authenticate/> and are not read yet.
    private bool _sasl2HeaderPending;

    // The hashed-token mechanism a token was requested for in this login.
    private string? _fastRequested;

    /// <summary>
    /// Authenticates with SASL2 when the server offers it with Bind 2 (from the real features, or those this process
    /// learnt from the same server, sending the stream header and <c>&lt;authenticate/&gt;</c> together). Returns
    /// false, having sent nothing, when the SASL path must be used instead.
    /// </summary>
    private async Task<bool> TryAuthenticateSasl2Async(CancellationToken cancellationToken)
    {
        // Bind 2 lets the server choose the resource; a session that must have a given resource binds it itself.
        if (!_options.PipelineLogin || !_options.UseSasl2 || _options.Resource is not null)
            return false;
        var headerPending = _learnedFeatures is not null;
        var features = _learnedFeatures ?? _features!;
        if (Sasl2Offer.From(features) is not { Bind2: true } offer)
            return false;
        var fastChoice = _options.FastTokens is null ? null : ChooseFastMechanism(offer, features);
        SaslMechanism? mechanism = FastMechanism(fastChoice, features);
        var isFast = mechanism is not null;
        mechanism ??= SelectMechanism(offer.Mechanisms, features, throwIfNone: !headerPending);
        if (mechanism is null)
            return false; // a guess from learnt features that no longer fits: the SASL path reads the real ones
        _learnedFeatures = null;
        _fastRequested = isFast || fastChoice is null || !ClaimTokenRequest() ? null : fastChoice;
        var (xml, log) = AuthenticateRequest(mechanism, isFast);
        Mechanism = mechanism.Name;
        if (headerPending)
        {
            await SendStreamHeaderAsync(xml, log, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            _transport.Enqueue(xml, log);
            await Timeouts.RunOnStreamAsync(_transport.FlushAsync, _options.ResponseTimeout, "the server to accept data", cancellationToken).ConfigureAwait(false);
        }
        if (mechanism.AwaitsOutcome)
        {
            // FAST (or PLAIN): the whole exchange is in flight; the read loop reads the header, features and outcome,
            // unless stanzas must wait for the server's proof.
            if (EarlyStanzasAllowed(mechanism))
            {
                (_sasl2Pending, _sasl2HeaderPending) = (mechanism, headerPending);
                return true;
            }
            if (headerPending)
                await ReadSasl2FeaturesAsync(mechanism, cancellationToken).ConfigureAwait(false);
            OnSasl2Outcome(await ReadNegotiationAsync("the SASL2 outcome", cancellationToken).ConfigureAwait(false), mechanism);
            return true;
        }
        if (headerPending)
            await ReadSasl2FeaturesAsync(mechanism, cancellationToken).ConfigureAwait(false);
        for (var round = 0; round < MaxSasl2Rounds; round++)
        {
            var answer = await ReadNegotiationAsync("the SASL2 answer", cancellationToken).ConfigureAwait(false);
            if (answer.Name == XName.Get("challenge", Namespaces.Sasl2))
            {
                var response = mechanism.EvaluateChallenge(FromBase64(answer.Value, mechanism.Name));
                _transport.Enqueue(
                    $"<response xmlns='{Namespaces.Sasl2}'>{Base64(response)}</response>",
                    $"<response xmlns='{Namespaces.Sasl2}'>{mechanism.RedactForLog(response)}</response>");
                await Timeouts.RunOnStreamAsync(_transport.FlushAsync, _options.ResponseTimeout, "the server to accept data", cancellationToken).ConfigureAwait(false);
                if (mechanism.AwaitsOutcome && EarlyStanzasAllowed(mechanism))
                {
                    // The last SASL message is sent: the caller's first stanzas follow it in the same flight.
                    _sasl2Pending = mechanism;
                    return true;
                }
            }
            else
            {
                OnSasl2Outcome(answer, mechanism);
                return true;
            }
        }
        throw new XmppAuthenticationException($"The server kept sending SASL2 challenges for {mechanism.Name}; giving up.", null, mechanism.Name);
    }

    /// <summary>
    /// Whether the caller's stanzas may leave before the server proved it knows the secret: only towards a server this
    /// client already authenticated, by its verified certificate or by channel binding. Without either, a machine in the
    /// middle could answer the success itself, and the messages would have gone to it.
    /// </summary>
    private bool EarlyStanzasAllowed(SaslMechanism mechanism) =>
        _transport.IsEncrypted && (_options.VerifyCertificate || mechanism.UsesChannelBinding);

    private (string Xml, string Log) AuthenticateRequest(SaslMechanism mechanism, bool isFast)
    {
        var initial = mechanism.GetInitialResponse();
        var store = _options.FastTokens;
        // The user-agent id is what the server keys FAST tokens by; without a token store there is nothing to key.
        var userAgent = store is null ? "" : $"<user-agent id='{XmlStreamWriter.EscapeAttribute(store.ClientId)}'/>";
        var fast = isFast
            ? $"<fast xmlns='{Namespaces.Fast}'/>"
            : _fastRequested is { } requested ? $"<request-token xmlns='{Namespaces.Fast}' mechanism='{requested}'/>" : "";
        string Build(string payload) =>
            $"<authenticate xmlns='{Namespaces.Sasl2}' mechanism='{mechanism.Name}'><initial-response>{payload}</initial-response>{userAgent}{Bind2Request}{fast}</authenticate>";
        return (Build(Base64(initial)), Build(mechanism.RedactForLog(initial)));
    }

    /// <summary>
    /// The features that answer a stream header sent with <c>&lt;authenticate/&gt;</c>: remembered for the next session,
    /// and checked: a server that stopped offering SASL2 (or this mechanism) since the last session cannot continue it.
    /// </summary>
    private async Task ReadSasl2FeaturesAsync(SaslMechanism mechanism, CancellationToken cancellationToken)
    {
        await ReadStreamHeaderAsync(cancellationToken).ConfigureAwait(false);
        _features = CheckFeatures(await ReadNegotiationAsync("the stream features", cancellationToken).ConfigureAwait(false));
        LearnedFeatures.Remember(_options, _features);
        // What this login would choose from the real features must be what it sent: a different choice (say -PLUS now
        // offered, or another FAST variant) cannot be taken back in SASL2 without a new stream.
        var offer = Sasl2Offer.From(_features);
        var same = offer is { Bind2: true } && (mechanism is SaslMechanismHashedToken
            ? ChooseFastMechanism(offer, _features) == mechanism.Name
            : SelectMechanism(offer.Mechanisms, _features, throwIfNone: false) is { } now && SameChoice(now, mechanism));
        if (!same)
        {
            throw new XmppProtocolException(
                $"The server for '{_options.Jid.Domain}' no longer offers what an earlier session of this process learnt (SASL2 with Bind 2 and {mechanism.Name}); nothing was sent as authenticated, and the next login uses what it offers now.",
                StaleFeaturesCondition)
            { IsStaleServerKnowledge = true };
        }
    }

    /// <summary>Reads what answers a pipelined SASL2 login: the header and features if still due, then the outcome.</summary>
    private async Task ReadSasl2OutcomeAsync(CancellationToken cancellationToken)
    {
        var mechanism = _sasl2Pending!;
        try
        {
            if (_sasl2HeaderPending)
                await ReadSasl2FeaturesAsync(mechanism, cancellationToken).ConfigureAwait(false);
            OnSasl2Outcome(await ReadNegotiationAsync("the SASL2 outcome", cancellationToken).ConfigureAwait(false), mechanism);
        }
        catch (XmppException e)
        {
            _loginFailure = e;
            throw;
        }
        _sasl2Pending = null;
    }

    private void OnSasl2Outcome(XElement answer, SaslMechanism mechanism)
    {
        if (answer.Name == XName.Get("success", Namespaces.Sasl2))
        {
            // The server's proof first (SCRAM's signature, FAST's responder HMAC): nothing is trusted before it.
            var additional = (string?)answer.Element(XName.Get("additional-data", Namespaces.Sasl2)) ?? "";
            mechanism.VerifySuccess(FromBase64(additional, mechanism.Name));
            OnBind2Result(answer);
            OnFastToken(answer);
            return;
        }
        if (answer.Name == XName.Get("failure", Namespaces.Sasl2))
        {
            if (mechanism is SaslMechanismHashedToken token)
                OnFastTokenRefused(token);
            throw AuthenticationFailure(answer, mechanism);
        }
        if (answer.Name == XName.Get("continue", Namespaces.Sasl2))
        {
            var tasks = string.Join(", ", answer.Element(XName.Get("tasks", Namespaces.Sasl2))?.Elements().Select(t => t.Value.Trim()) ?? []);
            throw new XmppAuthenticationException($"The server asks for further SASL2 tasks ({tasks}) that this client does not perform.", "unsupported-task", mechanism.Name);
        }
        throw new XmppProtocolException($"Unexpected <{answer.Name.LocalName}/> during SASL2.", "bad-format");
    }
}
