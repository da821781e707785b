using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Xmpp.Client;
using Xmpp.Notifications;
using Xmpp.TestServers;

namespace Xmpp.Bench;

/// <summary>
/// Receipts and the inbox on one Prosody (tcp_nodelay, mod_mam) on loopback:
/// <list type="bullet">
/// <item>receipts: on one warm session, the time from sending to the server's acknowledgement and to the XEP-0184
/// receipt of a slixmpp client with its xep_0184 plugin; then whole notifications (connect, log in, send, close) with
/// <c>receipts=no</c> against <c>receipts=require</c>;</item>
/// <item>inbox: <see cref="XmppInbox.FetchAsync"/> (its own connection each call, as a function invocation has) of 0, 10,
/// 100 and 1000 archived items.</item>
/// </list>
/// Every figure is checked: a receipt is from the slixmpp client, a fetch returns exactly the items asked for.
/// </summary>
internal static class TwoWaySuite
{
    public static async Task RunAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        await using var server = await ProsodyServer.StartAsync(new ProsodyOptions { TcpNoDelay = true, Archive = true }, cancellationToken);
        var passwords = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var user in new[] { "alice", "bob", "carol" })
        {
            passwords[user] = "pw-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
            await server.RegisterAsync(user, passwords[user], cancellationToken);
        }
        XmppClientOptions Options(string user) => new(Jid.Parse($"{user}@{server.Domain}"), passwords[user])
        {
            ConnectHost = "127.0.0.1",
            Port = server.C2sPort,
            TrustedRoots = [server.CaCertificate],
            ResponseTimeout = TimeSpan.FromSeconds(20),
        };
        string Url(string user, string path, string query = "") =>
            $"xmpps://{user}:{Uri.EscapeDataString(passwords[user])}@{server.Domain}:{server.C2sPort}/{path}?xmpp=127.0.0.1{(query.Length > 0 ? "&" + query : "")}";
        var notifierOptions = new XmppNotifierOptions { ConfigureClient = o => o.TrustedRoots = [server.CaCertificate] };

        Console.WriteLine($"## twoway: Prosody {server.Domain} tcp_nodelay with mod_mam, {settings.Iterations} iterations after {settings.Warmup} warm-up, load average {Program.LoadAverage()}");
        await ReceiptsAsync(settings, server, passwords["bob"], Options, Url, notifierOptions, cancellationToken);
        Console.WriteLine();
        await InboxAsync(settings, server.Domain, Options, Url, notifierOptions, cancellationToken);
        Console.WriteLine(Memory.Describe());
    }

    private static async Task ReceiptsAsync(
        BenchSettings settings, ProsodyServer server, string bobPassword, Func<string, XmppClientOptions> options,
        Func<string, string, string, string> url, XmppNotifierOptions notifierOptions, CancellationToken cancellationToken)
    {
        await using var bob = await SlixmppPeer.StartAsync(new SlixmppPeerOptions
        {
            Jid = $"bob@{server.Domain}",
            Password = bobPassword,
            Host = "127.0.0.1",
            Port = server.C2sPort,
            CaPemPath = server.CaCertificatePemPath,
            Receipts = true,
        }, cancellationToken);
        var bobJid = Jid.Parse($"bob@{server.Domain}");

        // One warm session: acknowledgement and receipt of the same message.
        var ack = new Samples();
        var receipt = new Samples();
        await using (var client = new XmppClient(options("alice")))
        {
            await client.LoginAsync(cancellationToken);
            for (var i = 0; i < settings.Warmup + settings.Iterations; i++)
            {
                var started = Stopwatch.GetTimestamp();
                var id = await client.SendMessageAsync(new OutgoingMessage(bobJid, $"receipt {i}") { RequestReceipt = true }, cancellationToken);
                var confirmed = client.ReceiptAsync(id, bobJid);
                await client.WaitForDeliveryAsync(cancellationToken);
                var acked = Stopwatch.GetTimestamp();
                var by = await confirmed.WaitAsync(TimeSpan.FromSeconds(20), cancellationToken);
                var received = Stopwatch.GetTimestamp();
                if (by.ToString() != bob.BoundJid)
                    throw new InvalidOperationException($"The receipt came from {by}, not from the slixmpp client {bob.BoundJid}.");
                if (i < settings.Warmup)
                    continue;
                ack.Add(Stopwatch.GetElapsedTime(started, acked));
                receipt.Add(Stopwatch.GetElapsedTime(started, received));
            }
            await client.DisconnectAsync(cancellationToken);
        }

        // Whole notifications, a connection each, without and with receipts.
        var notifier = new XmppNotifier(options: notifierOptions);
        var cold = new Dictionary<string, Samples>(StringComparer.Ordinal) { ["no"] = new(), ["require"] = new() };
        for (var i = 0; i < settings.Warmup + settings.Iterations; i++)
        {
            foreach (var mode in cold.Keys)
            {
                var started = Stopwatch.GetTimestamp();
                var result = await notifier.NotifyAsync([url("alice", "bob", "receipts=" + mode)], [new Notification(null, $"cold {mode} {i}")], cancellationToken);
                var elapsed = Stopwatch.GetElapsedTime(started);
                if (!result.Success)
                    throw new InvalidOperationException($"receipts={mode}: {result.Describe()}");
                var target = result.Urls[0].Targets[0];
                if (mode == "require" && target.Receipt != ReceiptStatus.Received)
                    throw new InvalidOperationException($"receipts=require ended with {target.Receipt}.");
                if (i >= settings.Warmup)
                    cold[mode].Add(elapsed);
            }
        }

        Console.WriteLine("### receipts (slixmpp xep_0184 client on loopback)");
        var table = new Table("measure", "n", "median ms", "p90 ms", "min ms", "max ms", "ratio to its base");
        table.Row("warm session: server ack", ack.Count, ack.Median, ack.Percentile(90), ack.Min, ack.Max, "1.00 (base)");
        table.Row("warm session: receipt", receipt.Count, receipt.Median, receipt.Percentile(90), receipt.Min, receipt.Max, Ratio(receipt.Median, ack.Median));
        table.Row("notification receipts=no", cold["no"].Count, cold["no"].Median, cold["no"].Percentile(90), cold["no"].Min, cold["no"].Max, "1.00 (base)");
        table.Row("notification receipts=require", cold["require"].Count, cold["require"].Median, cold["require"].Percentile(90), cold["require"].Min, cold["require"].Max, Ratio(cold["require"].Median, cold["no"].Median));
        table.Print();
    }

    private static async Task InboxAsync(
        BenchSettings settings, string domain, Func<string, XmppClientOptions> options, Func<string, string, string, string> url,
        XmppNotifierOptions notifierOptions, CancellationToken cancellationToken)
    {
        var inbox = new XmppInbox(notifierOptions);
        var carolUrl = url("carol", "", "");
        var start = await inbox.FetchAsync(carolUrl, null, null, cancellationToken);
        if (!start.Success || start.Checkpoint is null)
            throw new InvalidOperationException("The inbox could not be read: " + start.Error);

        // The same empty fetch before the archive holds anything: what the server's store costs per query.
        var emptyArchive = new Samples();
        for (var i = 0; i < Math.Min(settings.Warmup, 2) + Math.Max(3, settings.Iterations / 5); i++)
        {
            var started = Stopwatch.GetTimestamp();
            var batch = await inbox.FetchAsync(carolUrl, start.Checkpoint, new InboxOptions { MaxItems = 1 }, cancellationToken);
            var elapsed = Stopwatch.GetElapsedTime(started);
            if (!batch.Success || batch.Items.Count != 0)
                throw new InvalidOperationException($"An empty archive gave {batch.Items.Count} items: {batch.Error}");
            if (i >= Math.Min(settings.Warmup, 2))
                emptyArchive.Add(elapsed);
        }

        // 1000 messages into carol's archive from one session of bob's (acknowledged, so archived).
        const int Archived = 1000;
        await using (var sender = new XmppClient(options("bob")))
        {
            await sender.LoginAsync(cancellationToken);
            var carol = Jid.Parse($"carol@{domain}");
            for (var i = 0; i < Archived; i++)
                await sender.SendMessageAsync(new OutgoingMessage(carol, $"archived {i:D4} " + new string('x', 100)), cancellationToken);
            await sender.WaitForDeliveryAsync(cancellationToken);
            await sender.DisconnectAsync(cancellationToken);
        }
        var newest = await inbox.FetchAsync(carolUrl, null, null, cancellationToken); // checkpoint after the newest: nothing to read

        Console.WriteLine($"### inbox (XmppInbox.FetchAsync, its own connection per call; {Archived} archived items of ~150 B body)");
        var table = new Table("items per call", "n", "median ms", "p90 ms", "min ms", "max ms", "ms per item above empty", "ratio to empty");
        var runs = Math.Max(3, settings.Iterations / 5);
        table.Row("0, archive empty", emptyArchive.Count, emptyArchive.Median, emptyArchive.Percentile(90), emptyArchive.Min, emptyArchive.Max, "", "");
        double? empty = null;
        foreach (var items in new[] { 0, 10, 100, 1000 })
        {
            var samples = new Samples();
            for (var i = 0; i < Math.Min(settings.Warmup, 2) + runs; i++)
            {
                var checkpoint = items == 0 ? newest.Checkpoint : start.Checkpoint;
                var started = Stopwatch.GetTimestamp();
                var batch = await inbox.FetchAsync(carolUrl, checkpoint, new InboxOptions { MaxItems = Math.Max(1, items) }, cancellationToken);
                var elapsed = Stopwatch.GetElapsedTime(started);
                var expected = items;
                if (!batch.Success || batch.Items.Count != expected)
                    throw new InvalidOperationException($"Fetching {items} gave {batch.Items.Count} items: {batch.Error}");
                if (items > 0 && batch.Items[0].Body?.StartsWith("archived 0000", StringComparison.Ordinal) != true)
                    throw new InvalidOperationException("The first item is not the first archived message.");
                if (i >= Math.Min(settings.Warmup, 2))
                    samples.Add(elapsed);
            }
            empty ??= samples.Median;
            table.Row(items.ToString(CultureInfo.InvariantCulture) + (items == 0 ? ", after the newest of 1000" : ""), samples.Count, samples.Median, samples.Percentile(90), samples.Min, samples.Max,
                items == 0 ? "" : ((samples.Median - empty.Value) / items).ToString("0.000", CultureInfo.InvariantCulture),
                Ratio(samples.Median, empty.Value));
        }
        table.Print();
    }

    private static string Ratio(double value, double baseline) =>
        (value / baseline).ToString("0.00", CultureInfo.InvariantCulture) + "x";
}
