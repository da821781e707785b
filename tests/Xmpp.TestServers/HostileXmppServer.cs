using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Xmpp.TestServers;

/// <summary>
/// An in-process XMPP server on a loopback port that logs a client in honestly (cleartext, PLAIN, bind, XEP-0198) and
/// then misbehaves as the test says: floods stanzas, acknowledges what was never sent, stalls. One connection at a
/// time; each connection gets the same behaviour (<see cref="HostileSession.Number"/> tells them apart). Clients must use
/// <c>mode=none</c> (SecureSocketOptions.None). <see cref="HostileLogin"/> scripts the login itself: a pipelined client
/// (bind sent before the features), a refused password, a connection cut during SASL.
/// </summary>
public sealed class HostileXmppServer : IAsyncDisposable
{
    private string Header(int id) =>
        $"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='h{id}' from='{Domain}' version='1.0'>";

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<HostileSession, CancellationToken, Task> _afterLogin;
    private readonly HostileLogin _login;
    private readonly Task _accepting;
    private int _connections;

    private HostileXmppServer(string domain, Func<HostileSession, CancellationToken, Task> afterLogin, HostileLogin login)
    {
        Domain = domain;
        _afterLogin = afterLogin;
        _login = login;
        _listener.Start();
        _accepting = Task.Run(AcceptAsync);
    }

    /// <summary>Starts a server whose sessions run <paramref name="afterLogin"/> once the client is logged in.</summary>
    public static HostileXmppServer Start(Func<HostileSession, CancellationToken, Task> afterLogin, string domain = "localhost", HostileLogin? login = null) =>
        new(domain, afterLogin, login ?? new HostileLogin());

    public string Domain { get; }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Bytes the server sent after login, over all connections.</summary>
    public long BytesSentAfterLogin => Interlocked.Read(ref _bytesAfterLogin);

    private long _bytesAfterLogin;

    internal void CountAfterLogin(int bytes) => Interlocked.Add(ref _bytesAfterLogin, bytes);

    /// <summary>An Apprise URL for this server (cleartext; the password is <c>pw</c>).</summary>
    public string Url(string targets = "bob") => $"xmpp://alice:pw@127.0.0.1:{Port}/{targets}?verify=no";

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient connection;
            try
            {
                connection = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            var number = Interlocked.Increment(ref _connections);
            _ = Task.Run(() => ServeAsync(connection, number));
        }
    }

    private async Task ServeAsync(TcpClient connection, int number)
    {
        using (connection)
        {
            var session = new HostileSession(this, connection.GetStream(), number);
            try
            {
                var ct = _stop.Token;
                await session.ExpectAsync("<stream:stream", ct).ConfigureAwait(false);
                var loggedIn = _login.Sasl2
                    ? await LogInWithSasl2Async(session, ct).ConfigureAwait(false)
                    : await LogInWithSaslAsync(session, ct).ConfigureAwait(false);
                if (!loggedIn)
                    return;
                session.LoggedIn = true;
                session.StartDraining();
                await _afterLogin(session, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
            {
                // The client hung up or the server stops: both end this session.
            }
        }
    }

    /// <summary>
    /// SASL PLAIN, the stream restart and resource binding (pipelined or with XEP-0198 enable, as the login says). Returns
    /// whether the session is authenticated and bound.
    /// </summary>
    private async Task<bool> LogInWithSaslAsync(HostileSession session, CancellationToken ct)
    {
        await session.SendAsync(Header(1)
            + "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>", ct).ConfigureAwait(false);
        await session.ExpectAsync("</auth>", ct).ConfigureAwait(false);
        if (_login.CutDuringSasl(session.Number))
            return false;
        if (_login.RejectPassword)
        {
            await session.SendAsync("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure></stream:stream>", ct).ConfigureAwait(false);
            return false;
        }
        await session.SendAsync("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>", ct).ConfigureAwait(false);
        await session.ExpectAsync("<stream:stream", ct).ConfigureAwait(false);
        string bind;
        if (_login.Pipelined)
        {
            // The restarted stream's features are held back until the bind request came: only a client that
            // pipelines its login sends it before seeing them.
            bind = await session.ExpectAsync("</iq>", ct).ConfigureAwait(false);
            await session.SendAsync(Header(2) + "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>", ct).ConfigureAwait(false);
        }
        else
        {
            await session.SendAsync(Header(2)
                + "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/><sm xmlns='urn:xmpp:sm:3'/></stream:features>", ct).ConfigureAwait(false);
            bind = await session.ExpectAsync("<enable xmlns='urn:xmpp:sm:3'/>", ct).ConfigureAwait(false);
        }
        var idStart = bind.IndexOf("id='", StringComparison.Ordinal) + 4;
        var id = bind[idStart..bind.IndexOf('\'', idStart)];
        await session.SendAsync($"<iq type='result' id='{id}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>alice@{Domain}/hostile</jid></bind></iq>"
            + (_login.Pipelined ? "" : "<enabled xmlns='urn:xmpp:sm:3'/>"), ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// SASL2 (XEP-0388) with Bind 2 and FAST (XEP-0484) offered; PLAIN succeeds, a FAST token is refused when the login
    /// says so (the stream then ends). Returns whether the session is authenticated and bound.
    /// </summary>
    private async Task<bool> LogInWithSasl2Async(HostileSession session, CancellationToken ct)
    {
        await session.SendAsync(Header(1)
            + "<stream:features><authentication xmlns='urn:xmpp:sasl:2'><mechanism>PLAIN</mechanism><inline><bind xmlns='urn:xmpp:bind:0'/>"
            + "<fast xmlns='urn:xmpp:fast:0'><mechanism>HT-SHA-256-NONE</mechanism></fast></inline></authentication>"
            + "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>", ct).ConfigureAwait(false);
        var authenticate = await session.ExpectAsync("</authenticate>", ct).ConfigureAwait(false);
        if (_login.RefuseFastTokens && authenticate.Contains("<authenticate xmlns='urn:xmpp:sasl:2' mechanism='HT-", StringComparison.Ordinal))
        {
            await session.SendAsync("<failure xmlns='urn:xmpp:sasl:2'><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/></failure></stream:stream>", ct).ConfigureAwait(false);
            return false;
        }
        await session.SendAsync("<success xmlns='urn:xmpp:sasl:2'><bound xmlns='urn:xmpp:bind:0'/>"
            + $"<authorization-identifier>alice@{Domain}/hostile</authorization-identifier></success>", ct).ConfigureAwait(false);
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        try
        {
            await _accepting.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}

/// <summary>One connection to a <see cref="HostileXmppServer"/>: what the client wrote, and a way to write to it.</summary>
public sealed class HostileSession
{
    private readonly HostileXmppServer _server;
    private readonly Stream _stream;
    private readonly StringBuilder _received = new();
    private readonly object _gate = new();
    private readonly byte[] _buffer = new byte[16384];
    private TaskCompletionSource _progress = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _consumed;

    internal HostileSession(HostileXmppServer server, Stream stream, int number)
    {
        _server = server;
        _stream = stream;
        Number = number;
    }

    /// <summary>Which connection to the server this is, from 1.</summary>
    public int Number { get; }

    internal bool LoggedIn { get; set; }

    /// <summary>Everything the client wrote after login.</summary>
    public string ClientTextAfterLogin
    {
        get
        {
            lock (_gate)
                return _received.ToString(_consumed, _received.Length - _consumed);
        }
    }

    /// <summary>True once the client closed its side of the connection.</summary>
    public bool ClientClosed { get; private set; }

    public async Task SendAsync(string text, CancellationToken cancellationToken)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        await _stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        if (LoggedIn)
            _server.CountAfterLogin(bytes.Length);
    }

    /// <summary>Waits until the client has written <paramref name="marker"/> (after what was already matched) and returns the text up to it.</summary>
    public async Task<string> WaitForClientAsync(string marker, TimeSpan timeout) =>
        (await WaitForClientAsync([marker], timeout).ConfigureAwait(false)).Text;

    /// <summary>Waits until the client has written one of <paramref name="markers"/>: the text up to the first one, and which it was.</summary>
    public async Task<(string Text, string Marker)> WaitForClientAsync(IReadOnlyList<string> markers, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            Task progress;
            lock (_gate)
            {
                var received = _received.ToString();
                var found = markers.Select(m => (Marker: m, At: received.IndexOf(m, _consumed, StringComparison.Ordinal)))
                    .Where(f => f.At >= 0).OrderBy(f => f.At).FirstOrDefault();
                if (found.Marker is not null)
                {
                    var text = _received.ToString(_consumed, found.At + found.Marker.Length - _consumed);
                    _consumed = found.At + found.Marker.Length;
                    return (text, found.Marker);
                }
                if (ClientClosed)
                    throw new IOException($"The client closed the connection before writing '{string.Join("' or '", markers)}'.");
                progress = _progress.Task;
            }
            await progress.WaitAsync(cts.Token).ConfigureAwait(false);
        }
    }

    internal async Task<string> ExpectAsync(string marker, CancellationToken cancellationToken)
    {
        while (true)
        {
            lock (_gate)
            {
                var at = _received.ToString().IndexOf(marker, _consumed, StringComparison.Ordinal);
                if (at >= 0)
                {
                    var text = _received.ToString(_consumed, at + marker.Length - _consumed);
                    _consumed = at + marker.Length;
                    return text;
                }
            }
            if (!await ReadOnceAsync(cancellationToken).ConfigureAwait(false))
                throw new IOException("The client closed the connection during login.");
        }
    }

    internal void StartDraining() => _ = Task.Run(async () =>
    {
        try
        {
            while (await ReadOnceAsync(CancellationToken.None).ConfigureAwait(false))
            {
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException)
        {
        }
        finally
        {
            lock (_gate)
            {
                ClientClosed = true;
                _progress.TrySetResult();
            }
        }
    });

    private async Task<bool> ReadOnceAsync(CancellationToken cancellationToken)
    {
        var count = await _stream.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
        if (count == 0)
            return false;
        TaskCompletionSource signal;
        lock (_gate)
        {
            _received.Append(Encoding.UTF8.GetString(_buffer, 0, count));
            signal = _progress;
            _progress = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        signal.TrySetResult();
        return true;
    }
}

/// <summary>How a <see cref="HostileXmppServer"/> logs a client in.</summary>
public sealed record HostileLogin
{
    /// <summary>
    /// For clients with <c>PipelineLogin</c>: they send no XEP-0198 <c>&lt;enable/&gt;</c>, and the restarted stream's
    /// features are sent only after the bind request arrived, so a client that waits for them first stalls.
    /// </summary>
    public bool Pipelined { get; init; }

    /// <summary>Answers every SASL attempt with <c>not-authorized</c>.</summary>
    public bool RejectPassword { get; init; }

    /// <summary>How many connections, from the first, are cut after the client's SASL request (before any answer).</summary>
    public int CutDuringSaslCount { get; init; }

    internal bool CutDuringSasl(int number) => number <= CutDuringSaslCount;

    /// <summary>Offers SASL2 with Bind 2 and FAST instead of the SASL-only login (the other settings then do not apply).</summary>
    public bool Sasl2 { get; init; }

    /// <summary>With <see cref="Sasl2"/>: answers every FAST token with <c>not-authorized</c> and ends the stream.</summary>
    public bool RefuseFastTokens { get; init; }
}
