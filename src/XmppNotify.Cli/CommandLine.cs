using Xmpp.Notifications;

namespace XmppNotify.Cli;

/// <summary>What the command line asked for.</summary>
internal sealed class CliOptions
{
    public string? Title { get; set; }

    public string? Body { get; set; }

    /// <summary>0 quiet, 1 (-v) progress on stderr, 2 (-vv) also the XMPP exchange.</summary>
    public int Verbosity { get; set; }

    public NotifyFormat Format { get; set; } = NotifyFormat.Text;

    public List<string> ConfigFiles { get; } = [];

    public bool DryRun { get; set; }

    public bool Help { get; set; }

    public bool Version { get; set; }

    public List<string> Urls { get; } = [];
}

/// <summary>
/// A hand-written parser: the grammar is small, and a parsing library would add start-up work to every run of a
/// tool whose selling point is a fast cold start.
/// </summary>
internal static class CommandLine
{
    public const string Usage = """
        Usage: xmpp-notify [options] URL...

        Sends one notification to every Apprise XMPP URL (xmpp://user:password@host/target...) and waits until the
        server has acknowledged each message.

        Options:
          -t, --title TEXT     Title of the notification.
          -b, --body TEXT      Body of the notification. Without -b the body is read from standard input
                               when it is redirected (a pipe or a file).
              --format FORMAT  Format of the body: text (default), markdown or html.
              --config FILE    Read URLs from FILE, one per line; blank lines and lines starting with '#'
                               are ignored. May be given more than once.
              --dry-run        Print what would be done for each URL as a JSON array and exit; nothing is
                               sent and no connection is made. The password is never printed.
          -v                   Log progress to standard error and list what was delivered.
          -vv                  Also log the XMPP exchange (SASL secrets are redacted).
          -h, --help           Show this text.
              --version        Show the version.

        URLs are taken from the command line and from --config files; when there are none, from the
        XMPP_URLS environment variable (URLs separated by newlines or spaces).

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

    /// <summary>Reads <paramref name="args"/>; returns null and sets <paramref name="error"/> on a usage error.</summary>
    public static CliOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        var options = new CliOptions();
        error = null;
        var onlyUrls = false;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (onlyUrls || arg.Length < 2 || arg[0] != '-')
            {
                options.Urls.Add(arg);
                continue;
            }
            string name;
            string? inlineValue = null;
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                if (arg.Length == 2)
                {
                    onlyUrls = true;
                    continue;
                }
                var eq = arg.IndexOf('=', StringComparison.Ordinal);
                name = eq < 0 ? arg : arg[..eq];
                inlineValue = eq < 0 ? null : arg[(eq + 1)..];
            }
            else
            {
                // Short options: -t VALUE, -tVALUE, -v, -vv.
                name = arg[..2];
                if (arg.Length > 2)
                {
                    if (name == "-v" && arg.AsSpan(1).ContainsAnyExcept('v'))
                    {
                        error = $"unknown option '{arg}'";
                        return null;
                    }
                    if (name != "-v")
                        inlineValue = arg[2..];
                }
            }

            switch (name)
            {
                case "-h" or "--help":
                    options.Help = true;
                    break;
                case "--version":
                    options.Version = true;
                    break;
                case "-v":
                    options.Verbosity += arg.Length - 1;
                    break;
                case "--verbose":
                    options.Verbosity++;
                    break;
                case "--dry-run":
                    options.DryRun = true;
                    break;
                case "-t" or "--title":
                    if (!TakeValue(args, ref i, name, inlineValue, out var title, out error))
                        return null;
                    options.Title = title;
                    break;
                case "-b" or "--body":
                    if (!TakeValue(args, ref i, name, inlineValue, out var body, out error))
                        return null;
                    options.Body = body;
                    break;
                case "--config":
                    if (!TakeValue(args, ref i, name, inlineValue, out var file, out error))
                        return null;
                    options.ConfigFiles.Add(file!);
                    break;
                case "--format":
                    if (!TakeValue(args, ref i, name, inlineValue, out var format, out error))
                        return null;
                    switch (format!.Trim().ToLowerInvariant())
                    {
                        case "text":
                            options.Format = NotifyFormat.Text;
                            break;
                        case "markdown" or "md":
                            options.Format = NotifyFormat.Markdown;
                            break;
                        case "html":
                            options.Format = NotifyFormat.Html;
                            break;
                        default:
                            error = $"--format must be text, markdown or html, not '{format}'";
                            return null;
                    }
                    break;
                default:
                    error = $"unknown option '{name}'";
                    return null;
            }
        }
        return options;
    }

    private static bool TakeValue(IReadOnlyList<string> args, ref int i, string name, string? inlineValue, out string? value, out string? error)
    {
        error = null;
        value = inlineValue;
        if (value is not null)
            return true;
        if (i + 1 >= args.Count)
        {
            error = $"option '{name}' needs a value";
            return false;
        }
        value = args[++i];
        return true;
    }
}
