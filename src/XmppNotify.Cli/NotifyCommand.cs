using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text;
using Microsoft.Extensions.Logging;
using Xmpp.Notifications.Apprise;
using Xmpp.Notifications;
using Xmpp.Notifications.Contracts.Requests;

namespace XmppNotify.Cli;

/// <summary>One run of xmpp-notify: read the command line, then either print the plan (--dry-run) or deliver.</summary>
internal sealed class NotifyCommand(TextWriter stdout, TextWriter stderr, Func<Stream> openStdin, bool stdinRedirected, Func<string, string?> environment)
{
    /// <summary>Ctrl+C, following the shell convention of 128 + SIGINT.</summary>
    public const int Interrupted = 130;

    public Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var root = CommandLine.Create(SendAsync, stdout);
        ContactsCommands.Add(root, stdout, stderr);
        InboxCommand.Add(root, stdout, stderr);
        return CommandLine.InvokeAsync(root, args, stdout, stderr, cancellationToken);
    }

    private async Task<int> SendAsync(CliOptions options, CancellationToken cancellationToken)
    {
        AppriseTagFilter filter;
        try
        {
            filter = AppriseTagFilter.FromOptions(options.Tags);
        }
        catch (ArgumentException e)
        {
            return UsageError(e.Message);
        }

        // URLs on the command line are always sent; tags choose among those of --config files and XMPP_URLS.
        var urls = new List<string>(options.Urls);
        var configured = new List<TaggedUrl>();
        foreach (var file in options.ConfigFiles)
        {
            try
            {
                configured.AddRange(await UrlSources.ReadConfigAsync(file, cancellationToken).ConfigureAwait(false));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or AppriseConfigException)
            {
                return UsageError(e is AppriseConfigException ? e.Message : $"cannot read --config file '{file}': {e.Message}");
            }
        }
        if (urls.Count == 0 && configured.Count == 0)
        {
            try
            {
                configured.AddRange(UrlSources.ParseEnvironment(environment(UrlSources.EnvironmentVariable)));
            }
            catch (AppriseConfigException e)
            {
                return UsageError(e.Message);
            }
        }
        var selected = filter.Select(configured);
        if (configured.Count > 0 && selected.Count == 0 && urls.Count == 0)
            return UsageError(filter.IsUntagged
                ? "every configured URL has a tag and no --tag was given; name one with --tag (or --tag all)"
                : $"no configured URL matches --tag {filter}");
        urls.AddRange(selected.Select(u => u.Url));
        if (urls.Count == 0)
            return UsageError($"no URL given (on the command line, with --config or in {UrlSources.EnvironmentVariable})");

        // console: prints what would be sent (local development); it is not an XMPP URL and takes no part in the plan.
        var console = urls.RemoveAll(ConsoleSink.Is) > 0;
        var parsed = urls.Distinct(StringComparer.Ordinal).Select(ParsedUrl.From).ToList();
        if (options.DryRun)
            return await DryRunAsync(parsed).ConfigureAwait(false);

        var body = options.Body;
        if (body is null)
        {
            if (!stdinRedirected)
                return UsageError("no body: give -b TEXT or pipe the body into standard input");
            using var reader = new StreamReader(openStdin(), Encoding.UTF8);
            // A trailing newline is an artefact of echo and heredocs, not part of the message.
            body = (await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false)).TrimEnd('\r', '\n');
        }
        if (string.IsNullOrWhiteSpace(body) && string.IsNullOrWhiteSpace(options.Title))
            return UsageError("the notification is empty: give a title or a body");

        var logger = options.Verbosity switch
        {
            0 => null,
            1 => new StderrLogger(LogLevel.Information, stderr),
            _ => new StderrLogger(LogLevel.Trace, stderr),
        };
        string? id = options.Id, extensionXml = options.ExtensionXml;
        try
        {
            id = id is null ? null : ExtensionXml.ValidateId(id, "--id");
            extensionXml = extensionXml is null ? null : ExtensionXml.Validate(extensionXml, "--extension-xml");
        }
        catch (NotificationFormatException e)
        {
            return UsageError(e.Message);
        }
        var notification = new Notification(options.Title, body) { Format = options.Format, Id = id, ExtensionXml = extensionXml };
        if (console)
        {
            await stdout.WriteLineAsync($"console: not sent\n{ConsoleSink.Describe(notification)}").ConfigureAwait(false);
            if (parsed.Count == 0)
                return ExitCodes.Success;
        }
        var valid = parsed.Where(p => p.Plan is not null).Select(p => p.Raw).ToList();
        if (valid.Count > 0 && parsed.All(p => p.Plan is null || !p.Plan.Verify))
            CertificateDirectory.TrustNothing();
        var cache = await LoadTokenCacheAsync(options.TokenCache ?? environment("XMPP_NOTIFY_TOKEN_CACHE")).ConfigureAwait(false);
        var result = valid.Count == 0
            ? new NotifyResult([])
            : await new XmppNotifier(logger, NotifierOptions(options, cache)).NotifyAsync(valid, [notification], cancellationToken).ConfigureAwait(false);
        await SaveTokenCacheAsync(cache).ConfigureAwait(false);
        return await ReportAsync(parsed, result, options.Verbosity > 0).ConfigureAwait(false);
    }

    private XmppNotifierOptions NotifierOptions(CliOptions options, TokenCache? cache)
    {
        var notifier = new XmppNotifierOptions();
        if (options.MaxRecipients is { } recipients)
            notifier.MaxRecipientsPerCall = recipients;
        if (options.MaxBytes is { } bytes)
            notifier.MaxStanzaBytesPerCall = bytes;
        if (options.Verbosity >= 2 || cache is not null)
        {
            notifier.ConfigureClient = client =>
            {
                if (options.Verbosity >= 2)
                    client.ProtocolLogger = new StderrProtocolLogger(stderr);
                if (cache is not null)
                    client.FastTokens = cache;
            };
        }
        return notifier;
    }

    private async Task<TokenCache?> LoadTokenCacheAsync(string? path)
    {
        if (string.IsNullOrEmpty(path))
            return null;
        var cache = TokenCache.Load(path, out var warning);
        if (warning is not null)
            await stderr.WriteLineAsync($"xmpp-notify: {warning}").ConfigureAwait(false);
        return cache;
    }

    private async Task SaveTokenCacheAsync(TokenCache? cache)
    {
        try
        {
            cache?.Save();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The notification's outcome stands; only the next run's shortcut is lost.
            await stderr.WriteLineAsync($"xmpp-notify: the token cache could not be written ({e.GetType().Name}: {e.Message})").ConfigureAwait(false);
        }
    }

    /// <summary>Failures on stderr, one line per URL; with -v the deliveries on stdout. Returns the exit code.</summary>
    private async Task<int> ReportAsync(List<ParsedUrl> parsed, NotifyResult result, bool verbose)
    {
        var exitCode = ExitCodes.Success;
        var next = 0;
        foreach (var url in parsed)
        {
            if (url.Plan is null)
            {
                await stderr.WriteLineAsync($"{url.Redacted}: {url.Error!.Message}").ConfigureAwait(false);
                if (exitCode == ExitCodes.Success)
                    exitCode = ExitCodes.InvalidUrl;
                continue;
            }
            // The notifier answers in the order it was given the (distinct) valid URLs.
            var outcome = result.Urls[next++];
            if (outcome.Delivered)
            {
                if (verbose)
                    await stdout.WriteLineAsync($"{outcome.Url}: delivered to {string.Join(", ", outcome.Targets.Select(t => t.Target).Distinct())}").ConfigureAwait(false);
                continue;
            }
            await stderr.WriteLineAsync(new NotifyResult([outcome]).Describe()).ConfigureAwait(false);
            if (exitCode == ExitCodes.Success && !outcome.Optional)
                exitCode = ExitCodes.For(outcome);
        }
        return exitCode;
    }

    private async Task<int> DryRunAsync(List<ParsedUrl> parsed)
    {
        var buffer = new MemoryStream();
        await using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartArray();
            foreach (var url in parsed)
            {
                if (url.Plan is not null)
                {
                    url.Plan.WriteDryRun(json);
                    continue;
                }
                json.WriteStartObject();
                json.WriteString("url", url.Redacted);
                json.WriteString("error", url.Error!.Message);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        await stdout.WriteLineAsync(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length)).ConfigureAwait(false);
        return parsed.All(p => p.Plan is not null) ? ExitCodes.Success : ExitCodes.InvalidUrl;
    }

    private int UsageError(string message)
    {
        stderr.WriteLine($"xmpp-notify: {message}");
        stderr.WriteLine("Try 'xmpp-notify --help'.");
        return ExitCodes.Usage;
    }

    private sealed record ParsedUrl(string Raw, AppriseXmppUrl? Plan, AppriseUrlException? Error)
    {
        /// <summary>A rejected URL is shown with its credentials hidden; a valid one redacts itself.</summary>
        public string Redacted => Plan?.ToString() ?? UrlRedaction.Redact(Raw);

        public static ParsedUrl From(string raw) =>
            AppriseXmppUrl.TryParse(raw, out var plan, out var error) ? new ParsedUrl(raw, plan, null) : new ParsedUrl(raw, null, error);
    }
}
