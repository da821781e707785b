namespace XmppNotify.FunctionApp.Tests.HostProtocol;

/// <summary>Where <c>scripts/build-functions.sh</c> puts the built app (override: <c>XMPP_FUNCTIONS_APP_DIR</c>).</summary>
public static class FunctionAppOutput
{
    public static string Directory { get; } = Locate();

    /// <summary>The app folder, or a failure that says how to build it (also in CI, where a missing app is an error, never a skip).</summary>
    public static string Require()
    {
        string[] required = ["functions.metadata", "worker.config.json", "extensions.json", "host.json"];
        var missing = required.Where(f => !File.Exists(Path.Combine(Directory, f))).ToArray();
        if (missing.Length > 0 || !System.IO.Directory.Exists(Path.Combine(Directory, ".azurefunctions")))
        {
            var ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
                ? " .ci/run builds it before the tests; in CI this means that step did not run or failed."
                : "";
            throw new InvalidOperationException(
                $"The built function app is missing from {Directory} ({string.Join(", ", missing.DefaultIfEmpty(".azurefunctions/"))}). " +
                $"Run scripts/build-functions.sh first (or set XMPP_FUNCTIONS_APP_DIR).{ci}");
        }

        return Directory;
    }

    private static string Locate()
    {
        if (Environment.GetEnvironmentVariable("XMPP_FUNCTIONS_APP_DIR") is { Length: > 0 } configured)
        {
            return Path.GetFullPath(configured);
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Xmpp.sln")))
            {
                return Path.Combine(dir.FullName, ".artifacts", "functionapp");
            }
        }

        throw new InvalidOperationException($"No repository root (Xmpp.sln) above {AppContext.BaseDirectory}; set XMPP_FUNCTIONS_APP_DIR.");
    }
}
