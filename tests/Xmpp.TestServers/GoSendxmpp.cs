using System.Globalization;
using Xmpp.Client;

namespace Xmpp.TestServers;

/// <summary>One message to send with go-sendxmpp.</summary>
public sealed class GoSendxmppRequest
{
    public required string Jid { get; init; }

    public required string Password { get; init; }

    public required string Host { get; init; }

    public required int Port { get; init; }

    /// <summary>A JID, or a room JID when <see cref="Chatroom"/> is set.</summary>
    public required string Recipient { get; init; }

    public required string Message { get; init; }

    /// <summary>Direct TLS (-t); otherwise STARTTLS.</summary>
    public bool DirectTls { get; init; }

    /// <summary>CA to trust via SSL_CERT_FILE (Go's crypto/x509 reads it); null passes --no-tls-verify.</summary>
    public string? CaPemPath { get; init; }

    public bool Chatroom { get; init; }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(20);
}

/// <summary>Runs go-sendxmpp (Debian 0.5.6) as a reference sender for tests and benchmarks.</summary>
public static class GoSendxmpp
{
    public const string Executable = "go-sendxmpp";

    public static bool IsInstalled =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, Executable)));

    /// <summary>
    /// The command line (password excluded: it goes into the config file at <paramref name="configPath"/>,
    /// written by <see cref="WriteConfigFile"/>). The message is read from stdin.
    /// </summary>
    public static IReadOnlyList<string> BuildArguments(GoSendxmppRequest request, string configPath)
    {
        ArgumentNullException.ThrowIfNull(request);
        var arguments = new List<string>
        {
            "-f", configPath,
            "-j", $"{request.Host}:{request.Port.ToString(CultureInfo.InvariantCulture)}",
            "--timeout", Math.Max(1, (int)request.Timeout.TotalSeconds).ToString(CultureInfo.InvariantCulture),
        };
        if (request.DirectTls)
        {
            arguments.Add("-t");
        }

        if (request.CaPemPath is null)
        {
            arguments.Add("-n");
        }

        if (request.Chatroom)
        {
            arguments.Add("-c");
        }

        arguments.Add(request.Recipient);
        return arguments;
    }

    /// <summary>Writes the account file (username/password, mode 0600) go-sendxmpp reads with -f.</summary>
    public static void WriteConfigFile(GoSendxmppRequest request, string configPath)
    {
        ArgumentNullException.ThrowIfNull(request);
        File.WriteAllText(configPath, $"username: {request.Jid}\npassword: {request.Password}\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(configPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    public static IReadOnlyDictionary<string, string> EnvironmentFor(GoSendxmppRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.CaPemPath is null
            ? new Dictionary<string, string>()
            : new Dictionary<string, string> { ["SSL_CERT_FILE"] = request.CaPemPath };
    }

    /// <summary>Sends one message and returns exit code, output and wall time (including process start).</summary>
    public static async Task<ProcessResult> SendAsync(GoSendxmppRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var directory = Path.Combine(Path.GetTempPath(), "xmpp-gosendxmpp-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(directory);
        var configPath = Path.Combine(directory, "config");
        try
        {
            WriteConfigFile(request, configPath);
            return await ProcessRunner.RunAsync(
                Executable,
                BuildArguments(request, configPath),
                request.Timeout + TimeSpan.FromSeconds(5),
                EnvironmentFor(request),
                standardInput: request.Message,
                workingDirectory: directory,
                ct: ct).ConfigureAwait(false);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
