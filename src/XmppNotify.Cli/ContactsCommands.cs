using System.CommandLine;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Xmpp.Client;
using Xmpp.Notifications;

namespace XmppNotify.Cli;

/// <summary>
/// <c>xmpp-notify invite URL [CONTACT…]</c> and <c>xmpp-notify presence URL [CONTACT…]</c>: one connection each,
/// one JSON object on standard output. Contacts default to the URL's person targets.
/// </summary>
internal static class ContactsCommands
{
    public static void Add(Command root, TextWriter stdout, TextWriter stderr)
    {
        root.Subcommands.Add(Create(
            "invite",
            "Asks each contact for a presence subscription, pre-approving theirs (RFC 6121 §3.1, §3.4), and prints one JSON object: each contact's status (requested, already-subscribed, failed).",
            async (url, contacts, ct) =>
            {
                var result = await new XmppContacts().InviteAsync(url, contacts, ct).ConfigureAwait(false);
                return (result.Url, result.Failure, result.Error, result.SubscriptionRequests, (Action<Utf8JsonWriter>)(w =>
                {
                    foreach (var c in result.Contacts)
                    {
                        w.WriteStartObject();
                        w.WriteString("contact", c.Contact);
                        w.WriteString("status", c.Status switch
                        {
                            InviteStatus.AlreadySubscribed => "already-subscribed",
                            InviteStatus.Requested => "requested",
                            _ => "failed",
                        });
                        if (c.Error is not null)
                            w.WriteString("error", c.Error);
                        w.WriteEndObject();
                    }
                }));
            },
            stdout,
            stderr));
        root.Subcommands.Add(Create(
            "presence",
            "Prints one JSON object with each contact's availability: available (with show, status and priority per resource), offline, or unknown (not subscribed, or no answer within rto).",
            async (url, contacts, ct) =>
            {
                var result = await new XmppContacts().GetPresenceAsync(url, contacts, ct).ConfigureAwait(false);
                return (result.Url, result.Failure, result.Error, result.SubscriptionRequests, (Action<Utf8JsonWriter>)(w =>
                {
                    foreach (var c in result.Contacts)
                        WriteAvailability(w, c);
                }));
            },
            stdout,
            stderr));
    }

    internal static void WriteAvailability(Utf8JsonWriter w, ContactAvailability c)
    {
        w.WriteStartObject();
        w.WriteString("contact", c.Contact);
        w.WriteString("state", c.State);
        w.WriteStartArray("resources");
        foreach (var r in c.Resources)
        {
            w.WriteStartObject();
            w.WriteString("resource", r.Resource);
            w.WriteString("show", r.Show);
            w.WriteString("status", r.Status);
            w.WriteNumber("priority", r.Priority);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (c.Error is not null)
            w.WriteString("error", c.Error);
        w.WriteEndObject();
    }

    private static Command Create(
        string name,
        string description,
        Func<string, IReadOnlyList<string>, CancellationToken, Task<(string Url, NotifyFailureKind Failure, string? Error, IReadOnlyList<SubscriptionRequest> Requests, Action<Utf8JsonWriter> Contacts)>> run,
        TextWriter stdout,
        TextWriter stderr)
    {
        var url = new Argument<string>("URL") { Description = "The Apprise XMPP URL of the account." };
        var contacts = new Argument<string[]>("CONTACT")
        {
            Description = "Contacts (bob, bob@example.org); default: the URL's person targets.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command(name, description) { url, contacts };
        command.SetAction(async (result, cancellationToken) =>
        {
            var (redacted, failure, error, requests, writeContacts) = await run(result.GetValue(url)!, result.GetValue(contacts) ?? [], cancellationToken).ConfigureAwait(false);
            var buffer = new MemoryStream();
            await using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                json.WriteStartObject();
                json.WriteString("url", redacted);
                if (error is not null)
                    json.WriteString("error", error);
                json.WriteStartArray("contacts");
                writeContacts(json);
                json.WriteEndArray();
                WriteSubscriptionRequests(json, requests);
                json.WriteEndObject();
            }
            var text = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
            if (failure == NotifyFailureKind.None)
            {
                await stdout.WriteLineAsync(text).ConfigureAwait(false);
                return ExitCodes.Success;
            }
            await stderr.WriteLineAsync(text).ConfigureAwait(false);
            return ExitCodes.For(new UrlOutcome(redacted, false, [], failure, error));
        });
        return command;
    }

    internal static void WriteSubscriptionRequests(Utf8JsonWriter json, IReadOnlyList<SubscriptionRequest> requests)
    {
        json.WriteStartArray("subscription_requests");
        foreach (var r in requests)
        {
            json.WriteStartObject();
            json.WriteString("from", r.From.ToString());
            json.WriteString("answer", r.Answer.ToString().ToLowerInvariant());
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }
}
