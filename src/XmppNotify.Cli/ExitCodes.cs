using Xmpp.Notifications;

namespace XmppNotify.Cli;

/// <summary>The process exit codes, documented in <c>--help</c> and README.md. Scripts branch on them: never renumber.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Usage = 1;
    public const int InvalidUrl = 2;
    public const int Connection = 3;
    public const int Authentication = 4;
    public const int Partial = 5;

    /// <summary>
    /// The code for one URL that was not delivered. A URL-level failure says what went wrong with the whole session;
    /// failed targets in a session that worked are a partial delivery.
    /// </summary>
    public static int For(UrlOutcome outcome) => outcome.Failure switch
    {
        NotifyFailureKind.InvalidUrl => InvalidUrl,
        // A protocol failure ends the session like a lost connection: nothing about the message itself was refused.
        NotifyFailureKind.Connection or NotifyFailureKind.Tls or NotifyFailureKind.Timeout or NotifyFailureKind.Protocol => Connection,
        NotifyFailureKind.Authentication => Authentication,
        _ => Partial,
    };
}
