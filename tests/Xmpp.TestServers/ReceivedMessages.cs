using System.Threading.Channels;
using Xmpp.Client;

namespace Xmpp.TestServers;

/// <summary>Waiting for what a receiving <see cref="XmppClient"/> session got.</summary>
public static class ReceivedMessages
{
    /// <summary>The first received message that matches; fails listing what arrived instead.</summary>
    public static async Task<ReceivedMessage> WaitForAsync(this XmppClient client, Func<ReceivedMessage, bool> match, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(match);
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        var seen = new List<string>();
        try
        {
            await foreach (var message in client.Messages.ReadAllAsync(cts.Token))
            {
                if (match(message))
                    return message;
                seen.Add(message.Xml);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ChannelClosedException)
        {
        }
        throw new TimeoutException("The expected message did not arrive. Received instead: " + (seen.Count == 0 ? "nothing" : string.Join(Environment.NewLine, seen)));
    }

    /// <summary>A logged-in session for an account on a test server that announced presence, so it receives messages to the bare JID.</summary>
    public static async Task<XmppClient> ReceiverAsync(this IXmppTestServer server, string user, string password, string? resource = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        var client = new XmppClient(new XmppClientOptions(Jid.Parse($"{user}@{server.Domain}"), password)
        {
            ConnectHost = server.Host,
            Port = server.C2sPort,
            TrustedRoots = [server.CaCertificate],
            Resource = resource,
        });
        try
        {
            await client.LoginAsync();
            await client.SendPresenceAsync();
            // The server has handled the presence once this round trip is answered, so nothing sent after it is missed.
            await client.PingAsync();
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }
}
