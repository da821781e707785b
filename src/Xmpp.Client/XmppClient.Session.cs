using System.Diagnostics;
using System.Xml.Linq;
using Xmpp.Client.Xml;

namespace Xmpp.Client;

public sealed partial class XmppClient
{
    private static readonly XName MessageName = XName.Get("message", Namespaces.Client);
    private static readonly XName PresenceName = XName.Get("presence", Namespaces.Client);
    private static readonly XName IqName = XName.Get("iq", Namespaces.Client);

    /// <summary>Sends initial presence, so that the server routes messages for the bare JID to this session.</summary>
    public Task SendPresenceAsync(CancellationToken cancellationToken = default) =>
        SendStanzaAsync("<presence/>", null, cancellationToken);

    /// <summary>
    /// Sends a message and returns its id once it is written. Delivery is proven later by
    /// <see cref="WaitForDeliveryAsync"/> or <see cref="DisconnectAsync"/>.
    /// </summary>
    public async Task<string> SendMessageAsync(OutgoingMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var id = message.Id ?? _ids.Next();
        var xml = Stanzas.MessageXml(message, id);
        if (message.RequestReceipt)
            ExpectReceipt(id, message.To);
        await SendStanzaAsync(xml, new SentMessage(id, message.To, message.Type == MessageType.Groupchat), cancellationToken).ConfigureAwait(false);
        return id;
    }

    private Task SendStanzaAsync(string xml, SentMessage? tracked, CancellationToken cancellationToken)
    {
        EnsureUsable();
        return SendStanzaCoreAsync(xml, tracked, cancellationToken);
    }

    private Task SendStanzaCoreAsync(string xml, SentMessage? tracked, CancellationToken cancellationToken) =>
        WriteAsync(ct =>
        {
            _transport.Enqueue(xml);
            _delivery.OnStanzaSent(tracked);
            return _transport.FlushAsync(ct);
        }, "the server to accept data", cancellationToken);

    private Task SendNonzaAsync(string xml, CancellationToken cancellationToken) =>
        WriteAsync(ct =>
        {
            _transport.Enqueue(xml);
            return _transport.FlushAsync(ct);
        }, "the server to accept data", cancellationToken);

    /// <summary>One writer at a time (senders and the read loop's answers share the stream), each write bounded.</summary>
    private async Task WriteAsync(Func<CancellationToken, Task> write, string what, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await Timeouts.RunOnStreamAsync(write, _options.ResponseTimeout, what, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Sends an iq and returns the result; an error answer raises <see cref="XmppStanzaErrorException"/>.</summary>
    internal async Task<XElement> SendIqAsync(string type, string? to, string payload, string what, CancellationToken cancellationToken)
    {
        var id = _ids.Next();
        var answer = new TaskCompletionSource<XElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pendingIqs[id] = answer;
        try
        {
            var toAttribute = to is null ? "" : $" to='{XmlStreamWriter.EscapeAttribute(to)}'";
            await SendStanzaAsync($"<iq type='{type}' id='{id}'{toAttribute}>{payload}</iq>", null, cancellationToken).ConfigureAwait(false);
            var result = await WaitAsync(answer.Task, what, cancellationToken).ConfigureAwait(false);
            if (Stanzas.ReadError(result) is { } error)
                throw new XmppStanzaErrorException(error, what);
            return result;
        }
        finally
        {
            _pendingIqs.TryRemove(id, out _);
        }
    }

    /// <summary>XEP-0199 ping to the server; returns the round-trip time.</summary>
    public async Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        await SendIqAsync("get", _options.Jid.Domain, $"<ping xmlns='{Namespaces.Ping}'/>", "a ping answer", cancellationToken).ConfigureAwait(false);
        return Stopwatch.GetElapsedTime(started);
    }

    /// <summary>
    /// Waits until the server has acknowledged every stanza sent so far: an XEP-0198 <c>&lt;a h/&gt;</c>, or when
    /// stream management is not in use, a ping answer (the server handles a session's stanzas in order). Room messages
    /// also wait for the room's reflection. Bounces that arrive meanwhile are in the report.
    /// </summary>
    public async Task<DeliveryReport> WaitForDeliveryAsync(CancellationToken cancellationToken = default)
    {
        EnsureUsable();
        if (_delivery.SmEnabled)
        {
            var (target, acked) = _delivery.AckWaiter();
            if (!acked.IsCompleted)
            {
                await SendNonzaAsync($"<r xmlns='{Namespaces.StreamManagement}'/>", cancellationToken).ConfigureAwait(false);
                await WaitAsync(acked, $"the server to acknowledge {target} stanza(s)", cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            var covered = _delivery.SentCount;
            await PingAsync(cancellationToken).ConfigureAwait(false);
            _delivery.AcknowledgeUpTo(covered);
        }
        var reflections = _delivery.ReflectionsPending();
        if (!reflections.IsCompleted)
        {
            try
            {
                await WaitAsync(reflections, "the room to reflect the message(s)", cancellationToken).ConfigureAwait(false);
            }
            catch (XmppTimeoutException)
            {
                // Reported below as unacknowledged room messages.
            }
        }
        return _delivery.Report();
    }

    /// <summary>
    /// Proves delivery (<see cref="WaitForDeliveryAsync"/>), then closes the stream and the connection. It does not wait
    /// for the server's own stream close: every message's fate is known by then, and that wait would cost a round trip.
    /// Never throws for a session that is already broken: the report then lists what was not acknowledged. A pipelined
    /// login (<see cref="XmppClientOptions.PipelineLogin"/>) whose bind failed throws that failure here.
    /// </summary>
    public async Task<DeliveryReport> DisconnectAsync(CancellationToken cancellationToken = default)
    {
        if (_state != ClientState.Authenticated)
        {
            await CloseTransportAsync().ConfigureAwait(false);
            return _delivery.Report();
        }
        try
        {
            if (_fault is null)
                await WaitForDeliveryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (XmppException)
        {
            // What was not acknowledged shows in the report below.
        }
        if (_fault is null)
        {
            try
            {
                await WriteAsync(_transport.CloseStreamAsync, "the server to accept the stream close", cancellationToken).ConfigureAwait(false);
            }
            catch (XmppException)
            {
                // The messages' fate is already in the report; a connection that broke meanwhile is only cut off.
            }
        }
        await CloseTransportAsync().ConfigureAwait(false);
        if (_loginFailure is { } failure)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        return _delivery.Report();
    }

    private async Task CloseTransportAsync()
    {
        _state = ClientState.Closed;
        ReleaseTokenRequest();
        await _lifetime.CancelAsync().ConfigureAwait(false);
        await _transport.DisposeAsync().ConfigureAwait(false);
        if (_readLoop is not null)
        {
            try
            {
                await _readLoop.WaitAsync(_options.ResponseTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The read loop only ends on I/O; with the transport disposed it cannot stay blocked for long.
            }
        }
        _incoming.Writer.TryComplete();
    }

    public async ValueTask DisposeAsync()
    {
        if (_state != ClientState.Closed)
            await CloseTransportAsync().ConfigureAwait(false);
        _lifetime.Dispose();
        _writeLock.Dispose();
    }

    private void EnsureUsable()
    {
        if (_fault is not null)
            throw _fault is XmppException ? Rethrowable(_fault) : new XmppProtocolException("The session has failed: " + _fault.Message, "connection-closed", _fault);
        if (_state != ClientState.Authenticated)
            throw new InvalidOperationException(_state == ClientState.Closed ? "The session is closed." : "Log in first (ConnectAsync and AuthenticateAsync).");
    }

    private static XmppException Rethrowable(Exception fault) => fault switch
    {
        XmppStreamErrorException e => new XmppStreamErrorException(e.Condition, e.Text),
        XmppProtocolException e => new XmppProtocolException(e.Message, e.Condition, e) { IsStaleServerKnowledge = e.IsStaleServerKnowledge },
        XmppTimeoutException e => new XmppTimeoutException(e.Operation, e.Timeout, e),
        XmppAuthenticationException e => new XmppAuthenticationException(e.Message, e.Condition, e.Mechanism, e),
        _ => new XmppProtocolException("The session has failed: " + fault.Message, "connection-closed", fault),
    };

    /// <summary>Waits for a task with the response timeout; a session failure meanwhile ends the wait with that failure.</summary>
    private async Task<T> WaitAsync<T>(Task<T> task, string what, CancellationToken cancellationToken)
    {
        await WaitAsync((Task)task, what, cancellationToken).ConfigureAwait(false);
        return await task.ConfigureAwait(false);
    }

    private async Task WaitAsync(Task task, string what, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token);
        timeout.CancelAfter(_options.ResponseTimeout);
        var ended = _serverClosed.Task;
        var finished = await Task.WhenAny(task, ended, Task.Delay(Timeout.Infinite, timeout.Token)).ConfigureAwait(false);
        if (finished == task)
        {
            await task.ConfigureAwait(false);
            return;
        }
        if (finished == ended && !task.IsCompleted)
        {
            if (_fault is not null)
                throw Rethrowable(_fault);
            if (ReferenceEquals(task, _serverClosed.Task))
                return;
            throw new XmppProtocolException($"The server closed the stream while the client waited for {what}.", "connection-closed");
        }
        if (task.IsCompleted)
        {
            await task.ConfigureAwait(false);
            return;
        }
        cancellationToken.ThrowIfCancellationRequested();
        throw new XmppTimeoutException(what, _options.ResponseTimeout);
    }

    private async Task ReadLoopAsync()
    {
        long inbound = 0;
        try
        {
            if (_sasl2Pending is not null)
                await ReadSasl2OutcomeAsync(_lifetime.Token).ConfigureAwait(false);
            else if (_pipelinedBindId is not null)
                await ReadPipelinedRestartAsync(_lifetime.Token).ConfigureAwait(false);
            while (true)
            {
                var element = await _transport.ReadElementAsync(_lifetime.Token).ConfigureAwait(false);
                if (element is null)
                    break;
                if (++inbound > _options.MaxInboundStanzas || _transport.BytesReceived > _options.MaxInboundBytes)
                {
                    _fault = new XmppProtocolException(
                        $"The server sent more than this session accepts ({_options.MaxInboundStanzas} stanzas or {_options.MaxInboundBytes} bytes); the session was ended.",
                        "policy-violation");
                    await SendStreamErrorAsync($"<policy-violation xmlns='{Namespaces.StreamErrors}'/>").ConfigureAwait(false);
                    break;
                }
                if (element.Name == XName.Get("error", Namespaces.Streams))
                {
                    _fault = StreamErrors.ToException(element);
                    break;
                }
                if (element.Name == XName.Get("a", Namespaces.StreamManagement) && uint.TryParse((string?)element.Attribute("h"), out var h) && h > _delivery.SentCount)
                {
                    // XEP-0198 §6: acknowledging stanzas that were never sent is a protocol failure, not a credit.
                    var sent = _delivery.SentCount;
                    _fault = new XmppProtocolException(
                        $"The server acknowledged {h} stanza(s) but only {sent} were sent (handled-count-too-high); its acknowledgements cannot be trusted.",
                        "handled-count-too-high");
                    await SendStreamErrorAsync(
                        $"<undefined-condition xmlns='{Namespaces.StreamErrors}'/><handled-count-too-high xmlns='{Namespaces.StreamManagement}' h='{h}' send-count='{sent}'/>").ConfigureAwait(false);
                    break;
                }
                if (element.Name == XName.Get("r", Namespaces.StreamManagement))
                {
                    await SendNonzaAsync($"<a xmlns='{Namespaces.StreamManagement}' h='{_delivery.InboundCount}'/>", _lifetime.Token).ConfigureAwait(false);
                    continue;
                }
                if (_pipelinedBindId is { } bindId && element.Name == IqName && (string?)element.Attribute("id") == bindId)
                {
                    try
                    {
                        OnPipelinedBindAnswer(element);
                    }
                    catch (XmppException e)
                    {
                        _loginFailure = e;
                        throw;
                    }
                    continue;
                }
                if (element.Name.LocalName == "iq" && element.Name.NamespaceName == Namespaces.Client && (string?)element.Attribute("type") is "get" or "set")
                {
                    _delivery.OnStanzaReceived();
                    await AnswerIqAsync(element).ConfigureAwait(false);
                    continue;
                }
                Dispatch(element);
            }
        }
        catch (Exception e) when (_lifetime.IsCancellationRequested && e is OperationCanceledException or ObjectDisposedException or XmppProtocolException or IOException)
        {
            // Closed by us.
        }
        catch (Exception e)
        {
            _fault ??= e;
        }
        finally
        {
            _serverClosed.TrySetResult();
            foreach (var pending in _pendingIqs.Values)
                pending.TrySetException(_fault ?? new XmppProtocolException("The server closed the stream.", "connection-closed"));
            FailPendingJoins(_fault ?? new XmppProtocolException("The server closed the stream.", "connection-closed"));
            // Nothing more can arrive: readers of Messages see the end instead of waiting on a dead session.
            _incoming.Writer.TryComplete();
        }
    }

    /// <summary>Ends the stream with a stream error (RFC 6120 §4.9); a server that no longer reads does not delay the end.</summary>
    private async Task SendStreamErrorAsync(string conditions)
    {
        try
        {
            // The prefix is declared on the element itself so that the same text is valid over WebSocket (RFC 7395 §3.6.2).
            await SendNonzaAsync($"<stream:error xmlns:stream='{Namespaces.Streams}'>{conditions}</stream:error>", _lifetime.Token).ConfigureAwait(false);
            await WriteAsync(_transport.CloseStreamAsync, "the server to accept the stream close", _lifetime.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is XmppException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            // The session is failing already; the fault recorded by the caller is what gets reported.
        }
    }

    private Task AnswerIqAsync(XElement iq)
    {
        var id = XmlStreamWriter.EscapeAttribute((string?)iq.Attribute("id") ?? "");
        var from = (string?)iq.Attribute("from");
        var to = from is null ? "" : $" to='{XmlStreamWriter.EscapeAttribute(from)}'";
        var isPing = iq.Element(XName.Get("ping", Namespaces.Ping)) is not null && (string?)iq.Attribute("type") == "get";
        // RFC 6120 §8.2.3: every get/set gets an answer; this client implements only ping.
        var answer = isPing
            ? $"<iq type='result' id='{id}'{to}/>"
            : $"<iq type='error' id='{id}'{to}><error type='cancel'><service-unavailable xmlns='{Namespaces.Stanzas}'/></error></iq>";
        return SendStanzaAsync(answer, null, _lifetime.Token);
    }

    private void Dispatch(XElement element)
    {
        if (element.Name == XName.Get("a", Namespaces.StreamManagement))
        {
            if (uint.TryParse((string?)element.Attribute("h"), out var h))
                _delivery.OnAck(h);
            return;
        }
        if (element.Name.NamespaceName != Namespaces.Client)
            return; // other nonzas (e.g. an unsolicited <enabled/>) carry nothing for this client
        _delivery.OnStanzaReceived();
        if (element.Name == IqName)
        {
            if ((string?)element.Attribute("id") is { } id && _pendingIqs.TryGetValue(id, out var pending))
                pending.TrySetResult(element);
        }
        else if (element.Name == MessageName)
        {
            if (OnReceipt(element) || OnArchiveResult(element))
                return;
            var message = Stanzas.ReadMessage(element);
            if (message.Error is { } error && message.Id is { } bouncedId)
                _delivery.OnBounce(bouncedId, message.From, error);
            else if (message.Type == MessageType.Groupchat && message.Id is { } reflectedId && message.From is { } from && IsOwnOccupant(from))
                _delivery.OnReflected(reflectedId);
            _incoming.Writer.TryWrite(message);
        }
        else if (element.Name == PresenceName)
        {
            OnPresence(element);
            OnContactPresence(element);
        }
    }
}
