using System.Net;
using System.Net.Sockets;

namespace Xmpp.Client.Tests.Integration;

/// <summary>Servers that misbehave at the socket level: each failure is bounded and typed.</summary>
public sealed class FailureModeTests
{
    private static XmppClientOptions Options(int port) => new(Jid.Parse("alice@localhost"), "secret")
    {
        ConnectHost = "127.0.0.1",
        Port = port,
        ConnectTimeout = TimeSpan.FromSeconds(2),
        ResponseTimeout = TimeSpan.FromMilliseconds(500),
    };

    [Fact]
    public async Task Refused_connection_is_a_connect_error()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        await using var client = new XmppClient(Options(port));
        var error = await Assert.ThrowsAsync<XmppConnectException>(() => client.LoginAsync());
        Assert.Contains("127.0.0.1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_that_never_answers_is_a_timeout_naming_the_wait()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var accept = silent.AcceptTcpClientAsync();
        await using var client = new XmppClient(Options(((IPEndPoint)silent.LocalEndpoint).Port));
        var error = await Assert.ThrowsAsync<XmppTimeoutException>(() => client.LoginAsync());
        Assert.Contains("stream header", error.Operation, StringComparison.Ordinal);
        (await accept).Dispose();
    }

    [Fact]
    public async Task Server_without_starttls_is_refused_in_starttls_mode()
    {
        using var server = new TcpListener(IPAddress.Loopback, 0);
        server.Start();
        var serve = Task.Run(async () =>
        {
            using var connection = await server.AcceptTcpClientAsync();
            var stream = connection.GetStream();
            var buffer = new byte[4096];
            if (await stream.ReadAsync(buffer) == 0)
                return "";
            var reply = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='localhost' version='1.0'>"
                + "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>";
            await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(reply));
            var next = new byte[4096];
            var count = await stream.ReadAsync(next); // whatever comes next must not be credentials
            return System.Text.Encoding.UTF8.GetString(next, 0, count);
        });
        await using var client = new XmppClient(Options(((IPEndPoint)server.LocalEndpoint).Port));
        var error = await Assert.ThrowsAsync<XmppTlsException>(() => client.LoginAsync());
        Assert.Contains("STARTTLS", error.Message, StringComparison.Ordinal);
        await client.DisposeAsync();
        var after = await serve.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.DoesNotContain("auth", after, StringComparison.Ordinal);
    }
}
