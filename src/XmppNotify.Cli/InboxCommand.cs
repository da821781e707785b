using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Xmpp.Notifications;

namespace XmppNotify.Cli;

/// <summary>
/// <c>xmpp-notify inbox URL --checkpoint FILE</c>: prints what arrived since the checkpoint as JSON lines, then
/// stores the new checkpoint (after printing, so a crash in between repeats items rather than losing them).
/// </summary>
internal static class InboxCommand
{
    public static void Add(Command root, TextWriter stdout, TextWriter stderr)
    {
        var url = new Argument<string>("URL") { Description = "The Apprise XMPP URL of the account." };
        var checkpoint = new Option<string>("--checkpoint")
        {
            Description = "File holding the checkpoint; read at start (missing: start from now, or --since), replaced after the items are printed.",
            HelpName = "FILE",
            Required = true,
        };
        var since = new Option<DateTimeOffset?>("--since")
        {
            Description = "Without a checkpoint file, start at this time (ISO 8601, e.g. 2026-11-30T12:00:00Z) instead of now.",
            HelpName = "TIME",
        };
        var max = new Option<int>("--max")
        {
            Description = "Most items per run (1 to 1000, default 100); the rest come next run.",
            HelpName = "N",
            DefaultValueFactory = _ => 100,
        };
        max.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 1000)
                r.AddError("--max must be from 1 to 1000");
        });
        var command = new Command("inbox", "Prints the messages (and subscription requests and error stanzas) that arrived since the checkpoint, one JSON object per line, from the server's archive (XEP-0313) or its offline storage.")
        {
            url, checkpoint, since, max,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var file = result.GetValue(checkpoint)!;
            string? current = null;
            try
            {
                if (File.Exists(file))
                    current = (await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false)).Trim();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return await FailAsync(stderr, $"cannot read --checkpoint file '{file}': {e.Message}", ExitCodes.Usage).ConfigureAwait(false);
            }
            InboxBatch batch;
            try
            {
                batch = await new XmppInbox().FetchAsync(
                    result.GetValue(url)!,
                    string.IsNullOrEmpty(current) ? null : current,
                    new InboxOptions { MaxItems = result.GetValue(max), Since = result.GetValue(since) },
                    cancellationToken).ConfigureAwait(false);
            }
            catch (InboxCheckpointException e)
            {
                return await FailAsync(stderr, $"--checkpoint file '{file}': {e.Message}", ExitCodes.Usage).ConfigureAwait(false);
            }
            if (!batch.Success)
                return await FailAsync(stderr, $"{batch.Url}: {batch.Error}", ExitCodes.For(new UrlOutcome(batch.Url, false, [], batch.Failure, batch.Error))).ConfigureAwait(false);
            foreach (var item in batch.Items)
                await stdout.WriteLineAsync(Json(item)).ConfigureAwait(false);
            await stdout.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (batch.Checkpoint is not null && batch.Checkpoint != current)
            {
                // Written beside the file and renamed over it: a reader never sees half a checkpoint.
                var temporary = file + ".tmp";
                await File.WriteAllTextAsync(temporary, batch.Checkpoint + "\n", cancellationToken).ConfigureAwait(false);
                File.Move(temporary, file, overwrite: true);
            }
            return ExitCodes.Success;
        });
        root.Subcommands.Add(command);
    }

    private static async Task<int> FailAsync(TextWriter stderr, string message, int code)
    {
        await stderr.WriteLineAsync("xmpp-notify: " + message).ConfigureAwait(false);
        return code;
    }

    private static string Json(InboxItem item)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("kind", item.Kind);
            w.WriteString("archive_id", item.ArchiveId);
            w.WriteString("id", item.Id);
            w.WriteString("from", item.From);
            w.WriteString("to", item.To);
            w.WriteString("type", item.Type);
            w.WriteString("body", item.Body);
            w.WriteString("subject", item.Subject);
            w.WriteString("thread", item.Thread);
            w.WriteString("timestamp", item.Timestamp?.ToString("O", CultureInfo.InvariantCulture));
            w.WriteString("stanza", item.Stanza);
            w.WriteBoolean("truncated", item.Truncated);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
