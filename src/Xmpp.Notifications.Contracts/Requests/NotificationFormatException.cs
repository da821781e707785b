namespace Xmpp.Notifications.Contracts.Requests;

/// <summary>
/// A notification payload was rejected. <see cref="Exception.Message"/> says which field, where, and what was expected,
/// so an HTTP endpoint can return it as-is in a 400 response and a queue consumer can dead-letter with it.
/// </summary>
public sealed class NotificationFormatException : FormatException
{
    public NotificationFormatException()
    {
    }

    public NotificationFormatException(string message)
        : base(message)
    {
    }

    public NotificationFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public NotificationFormatException(string message, string? path, int? line, int? position, Exception? innerException = null)
        : base(Compose(message, line, position), innerException)
    {
        Path = path;
        Line = line;
        Position = position;
    }

    /// <summary>Where in the payload the problem is, e.g. <c>alerts[2].labels</c> or <c>[1].title</c>; null for the whole payload.</summary>
    public string? Path { get; }

    /// <summary>1-based line of the offending token, when known.</summary>
    public int? Line { get; }

    /// <summary>1-based position in <see cref="Line"/> (UTF-8 bytes for JSON, characters for XML), when known.</summary>
    public int? Position { get; }

    private static string Compose(string message, int? line, int? position) => (line, position) switch
    {
        (int l, int p) => $"{message} (line {l}, position {p})",
        (int l, null) => $"{message} (line {l})",
        _ => message,
    };
}
