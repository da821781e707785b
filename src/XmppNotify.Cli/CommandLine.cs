using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Reflection;
using Xmpp.Notifications;

namespace XmppNotify.Cli;

/// <summary>What the command line asked for.</summary>
internal sealed class CliOptions
{
    public string? Title { get; init; }

    public string? Body { get; init; }

    /// <summary>0 quiet, 1 (-v) progress on stderr, 2 (-vv) also the XMPP exchange.</summary>
    public int Verbosity { get; init; }

    public NotifyFormat Format { get; init; } = NotifyFormat.Text;

    public IReadOnlyList<string> ConfigFiles { get; init; } = [];

    /// <summary>Apprise tag selection: several values match any of them; a comma-separated value matches all of its tags.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    public bool DryRun { get; init; }

    public IReadOnlyList<string> Urls { get; init; } = [];

    /// <summary>--id: the stanza id instead of a generated one.</summary>
    public string? Id { get; init; }

    /// <summary>--extension-xml: extra child elements for the stanza.</summary>
    public string? ExtensionXml { get; init; }

    /// <summary>--token-cache: the owner-only file keeping FAST tokens and learnt server features between runs.</summary>
    public string? TokenCache { get; init; }

    /// <summary>--max-recipients: most recipients over every URL of the run (default <see cref="XmppNotifierOptions.MaxRecipientsPerCall"/>).</summary>
    public int? MaxRecipients { get; init; }

    /// <summary>--max-bytes: most UTF-8 bytes of message text over every stanza of the run (default <see cref="XmppNotifierOptions.MaxStanzaBytesPerCall"/>).</summary>
    public long? MaxBytes { get; init; }
}

/// <summary>
/// The command tree of xmpp-notify (System.CommandLine). The root command sends a notification; a subcommand is a
/// <see cref="Command"/> with its own options and <c>SetAction</c>, added to the root in <see cref="Create"/>.
/// Usage errors never reach an action: <see cref="InvokeAsync"/> reports them in one place with exit code 1.
/// </summary>
internal static class CommandLine
{
    /// <summary>Shown after the generated options list: where URLs come from, the exit codes and trust.</summary>
    public const string Epilogue = """
        URLs are taken from the command line and from --config files; when there are none, from the
        XMPP_URLS environment variable (URLs separated by newlines or spaces, or an Apprise configuration).
        --tag selects among configured URLs. A URL that starts with '-' can be given after '--'.

        Exit codes:
          0  every URL that is not optional=yes was delivered and acknowledged
          1  usage error (no URL, no body, unknown option)
          2  a URL is invalid
          3  connection failure: refused, unreachable, TLS or certificate error, timeout, broken session
          4  authentication failed
          5  partial delivery: a target was rejected (unknown user, room not joinable) or not acknowledged
          130  interrupted (Ctrl+C)
        When several URLs fail, the code is that of the first failing URL, in the order given, that is not
        optional=yes. Invalid URLs are reported and skipped; the others are still sent to. On failure, one
        line per failed URL is written to standard error. Passwords are never printed.

        A private CA can be trusted with SSL_CERT_FILE=ca.pem (the URL cannot name one). See README.md.
        """;

    private const string Name = "xmpp-notify";

    private static readonly ParserConfiguration Parsing = new()
    {
        // An argument starting with '@' is not a file of further arguments here.
        ResponseFileTokenReplacer = null,
    };

    /// <summary>The root command; <paramref name="send"/> runs when the command line names no subcommand.</summary>
    public static Command Create(Func<CliOptions, CancellationToken, Task<int>> send, TextWriter stdout)
    {
        var title = new Option<string>("--title", "-t") { Description = "Title of the notification.", HelpName = "TEXT" };
        var body = new Option<string>("--body", "-b")
        {
            Description = "Body of the notification. Without -b the body is read from standard input when it is redirected (a pipe or a file).",
            HelpName = "TEXT",
        };
        var format = new Option<NotifyFormat>("--format")
        {
            Description = "Format of the body: text (default), markdown or html.",
            HelpName = "FORMAT",
            CustomParser = ParseFormat,
        };
        var id = new Option<string>("--id")
        {
            Description = "Stanza id instead of a generated one (further targets get ID-2, ID-3, ...).",
            HelpName = "ID",
        };
        var extensionXml = new Option<string>("--extension-xml")
        {
            Description = "Extra child elements for the stanza, each in its own namespace, e.g. '<alert xmlns=\"urn:example:alerts\"/>' (at most 16 KiB).",
            HelpName = "XML",
        };
        var config = new Option<string[]>("--config")
        {
            Description = "Read URLs from FILE, an Apprise configuration: TEXT ('[tag1, tag2=]URL' lines, '#' or ';' comments) or YAML ('urls:' with 'tag:' entries). May be given more than once.",
            HelpName = "FILE",
        };
        var tag = new Option<string[]>("--tag", "-g")
        {
            Description = "Send to the configured URLs carrying TAG (Apprise's rules): several --tag match any of them, 'a,b' matches URLs tagged a and b, 'all' matches every URL. Without --tag, only untagged configured URLs are used. URLs on the command line are always used.",
            HelpName = "TAG",
        };
        var defaults = new XmppNotifierOptions();
        var maxRecipients = new Option<int?>("--max-recipients")
        {
            Description = $"Refuse the run, before any connection, when its messages would go to more than N recipients over every URL (default {defaults.MaxRecipientsPerCall}).",
            HelpName = "N",
        };
        maxRecipients.Validators.Add(result => RequirePositive(result, result.GetValueOrDefault<int?>()));
        var maxBytes = new Option<long?>("--max-bytes")
        {
            Description = $"Refuse the run, before any connection, when its message text adds up to more than N bytes over every recipient (default {defaults.MaxStanzaBytesPerCall}).",
            HelpName = "N",
        };
        maxBytes.Validators.Add(result => RequirePositive(result, result.GetValueOrDefault<long?>()));
        var dryRun = new Option<bool>("--dry-run")
        {
            Description = "Print what would be done for each URL as a JSON array and exit; nothing is sent and no connection is made. The password is never printed.",
        };
        // Counted, not valued: -v, -vv (a POSIX bundle of two -v) and --verbose add up.
        var verbose = new Option<bool>("-v", "--verbose")
        {
            Description = "Log progress to standard error and list what was delivered. -vv also logs the XMPP exchange (SASL secrets are redacted).",
        };
        var tokenCache = new Option<string>("--token-cache")
        {
            Description = "Keep FAST login tokens (XEP-0484, where the server offers SASL2) and what the servers offered in FILE, created owner-only (0600), so the next run logs in and sends in one flight. Also XMPP_NOTIFY_TOKEN_CACHE. The tokens are secrets; they are never printed.",
            HelpName = "FILE",
        };
        var urls = new Argument<string[]>("URL")
        {
            Description = "Apprise XMPP URLs (xmpp://user:password@host/target...).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        urls.Validators.Add(RejectUnknownOptions);

        // A plain Command rather than RootCommand: RootCommand reads assembly metadata and localized resources for its
        // name and its built-in help and version options at construction, a measurable part of a 5 ms cold start.
        var help = new Option<bool>("--help", "-h", "-?") { Description = "Show this help.", Arity = ArgumentArity.Zero, Recursive = true };
        help.Action = new HelpWithEpilogueAction();
        var version = new Option<bool>("--version") { Description = "Show the version.", Arity = ArgumentArity.Zero };
        version.Action = new VersionAction(stdout);
        var root = new Command(
            Name,
            "Sends one notification to every Apprise XMPP URL and waits until the server has acknowledged each message.")
        {
            title, body, format, id, extensionXml, config, tag, maxRecipients, maxBytes, dryRun, verbose, tokenCache, urls, help, version,
        };
        root.SetAction((result, cancellationToken) => send(
            new CliOptions
            {
                Title = result.GetValue(title),
                Body = result.GetValue(body),
                Format = result.GetValue(format),
                ConfigFiles = result.GetValue(config) ?? [],
                Tags = result.GetValue(tag) ?? [],
                DryRun = result.GetValue(dryRun),
                Verbosity = result.GetResult(verbose)?.IdentifierTokenCount ?? 0,
                Urls = result.GetValue(urls) ?? [],
                Id = result.GetValue(id),
                ExtensionXml = result.GetValue(extensionXml),
                TokenCache = result.GetValue(tokenCache),
                MaxRecipients = result.GetValue(maxRecipients),
                MaxBytes = result.GetValue(maxBytes),
            },
            cancellationToken));
        return root;
    }

    private static void RequirePositive(OptionResult result, long? value)
    {
        if (value is <= 0)
            result.AddError($"{result.IdentifierToken?.Value ?? "the option"} must be a whole number of 1 or more");
    }

    /// <summary>
    /// Parses and runs <paramref name="args"/>. A usage error is one line on <paramref name="stderr"/> and exit code 1;
    /// everything else is the exit code of the action (help, version, sending or a subcommand).
    /// </summary>
    public static async Task<int> InvokeAsync(Command root, IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var result = root.Parse(args, Parsing);
        if (result.Errors.Count > 0 && result.Action is not (HelpWithEpilogueAction or VersionAction))
        {
            await stderr.WriteLineAsync($"xmpp-notify: {result.Errors[0].Message}").ConfigureAwait(false);
            await stderr.WriteLineAsync("Try 'xmpp-notify --help'.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        var invocation = new InvocationConfiguration
        {
            Output = stdout,
            Error = stderr,
            // Ctrl+C is handled by Program (the delivery winds down and says what was not acknowledged), and an
            // exception is a bug to surface, not a message to reword.
            ProcessTerminationTimeout = null,
            EnableDefaultExceptionHandler = false,
        };
        return await result.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
    }

    private static NotifyFormat ParseFormat(ArgumentResult result)
    {
        var value = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        switch (value.Trim().ToLowerInvariant())
        {
            case "text":
                return NotifyFormat.Text;
            case "markdown" or "md":
                return NotifyFormat.Markdown;
            case "html":
                return NotifyFormat.Html;
            default:
                result.AddError($"--format must be text, markdown or html, not '{value}'");
                return NotifyFormat.Text;
        }
    }

    /// <summary>
    /// An unknown option lands among the URLs (System.CommandLine treats it as an argument); a URL never starts with
    /// '-', so such a token is a mistyped option unless it came after '--'.
    /// </summary>
    private static void RejectUnknownOptions(ArgumentResult result)
    {
        var afterDoubleDash = false;
        foreach (var token in result.Parent!.Tokens)
        {
            if (token.Type == TokenType.DoubleDash)
                afterDoubleDash = true;
        }
        if (afterDoubleDash)
            return;
        foreach (var token in result.Tokens)
        {
            if (token.Value.Length > 1 && token.Value[0] == '-')
            {
                result.AddError($"unknown option '{token.Value}'");
                return;
            }
        }
    }

    /// <summary>The generated help, and for the root command the epilogue (URL sources, exit codes, trust).</summary>
    private sealed class HelpWithEpilogueAction : SynchronousCommandLineAction
    {
        private readonly HelpAction generated = new();

        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            generated.Invoke(parseResult);
            if (parseResult.CommandResult.Command.Name == Name)
                parseResult.InvocationConfiguration.Output.WriteLine(Epilogue);
            return ExitCodes.Success;
        }
    }

    private sealed class VersionAction(TextWriter stdout) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            stdout.WriteLine("xmpp-notify " + Text);
            return ExitCodes.Success;
        }

        private static string Text =>
            typeof(VersionAction).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
    }
}
