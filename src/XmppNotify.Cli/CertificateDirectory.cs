using System.Runtime.InteropServices;

namespace XmppNotify.Cli;

/// <summary>
/// On Linux, .NET trusts the roots of OpenSSL's default bundle file and of its certificate directory, and on the first
/// certificate check it loads both in full: on Debian-family systems ~145 roots twice, about 85 ms of a ~120 ms cold
/// send. There, <c>update-ca-certificates</c> writes the same roots to the bundle and to the directory, so reading the
/// directory adds nothing. A one-shot process therefore points <c>SSL_CERT_DIR</c> away from it, which keeps the trust
/// set and halves the cost. Done only when the user set neither variable to something of their own and the Debian
/// bundle exists; a user who keeps extra roots only in the directory opts out with <c>SSL_CERT_DIR=/etc/ssl/certs/.</c>
/// When <c>SSL_CERT_FILE</c> names a file of the user's own (a pinned CA) and <c>SSL_CERT_DIR</c> is unset (or restates the default), only that
/// file is trusted: the system directory is not read (set <c>SSL_CERT_DIR</c> to trust it as well).
/// </summary>
internal static partial class CertificateDirectory
{
    private const string DebianDirectory = "/etc/ssl/certs";
    private const string DebianBundle = DebianDirectory + "/ca-certificates.crt";

    // /dev/null is not a directory, so nothing can ever be found beneath it.
    private const string Nowhere = "/dev/null/no-certificate-directory";

    public static void SkipWhenBundleHasItAll()
    {
        // A CA file of the user's own (a pinned private CA) is the trust they chose: only that file is read.
        var pinnedFile = Environment.GetEnvironmentVariable("SSL_CERT_FILE") is { Length: > 0 } pinned && pinned != DebianBundle;
        var defaultDir = Environment.GetEnvironmentVariable("SSL_CERT_DIR") is not { } ownDir || ownDir.TrimEnd('/') == DebianDirectory;
        if (OperatingSystem.IsLinux() && pinnedFile && defaultDir)
        {
            PointDirectoryNowhere();
            return;
        }
        // Variables that only restate the defaults (some images export them) are not a choice of the user's.
        if (!OperatingSystem.IsLinux()
            || Environment.GetEnvironmentVariable("SSL_CERT_DIR") is { } dir && dir.TrimEnd('/') != DebianDirectory
            || Environment.GetEnvironmentVariable("SSL_CERT_FILE") is { } file && file != DebianBundle
            || !File.Exists(DebianBundle))
            return;
        PointDirectoryNowhere();
    }

    /// <summary>
    /// When no URL verifies certificates (all say <c>verify=no</c>), nothing will be checked against a trust store, yet
    /// .NET still builds a chain for every handshake and loads the system roots for it (tens of milliseconds of a cold
    /// send). Pointing both variables nowhere before the first handshake leaves it nothing to load.
    /// </summary>
    public static void TrustNothing()
    {
        if (!OperatingSystem.IsLinux())
            return;
        Environment.SetEnvironmentVariable("SSL_CERT_FILE", Nowhere);
        _ = setenv("SSL_CERT_FILE", Nowhere, 1);
        PointDirectoryNowhere();
    }

    private static void PointDirectoryNowhere()
    {
        // .NET reads the variable from its own copy of the environment, OpenSSL from the process's: set both.
        Environment.SetEnvironmentVariable("SSL_CERT_DIR", Nowhere);
        _ = setenv("SSL_CERT_DIR", Nowhere, 1);
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);
}
