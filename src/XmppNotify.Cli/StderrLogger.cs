using Microsoft.Extensions.Logging;

namespace XmppNotify.Cli;

/// <summary>
/// A one-line-per-entry logger on standard error for -v/-vv. Deliberately not Microsoft.Extensions.Logging's console
/// provider: that brings options binding and a background queue, which cost start-up time for a one-shot process.
/// </summary>
internal sealed class StderrLogger(LogLevel minimum, TextWriter output) : ILogger
{
    private readonly object _gate = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= minimum;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        if (!IsEnabled(logLevel))
            return;
        var line = $"xmpp-notify: {Label(logLevel)}: {formatter(state, exception)}";
        if (exception is not null)
            line += $" ({exception.GetType().Name}: {exception.Message})";
        lock (_gate)
            output.WriteLine(line);
    }

    private static string Label(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warning",
        LogLevel.Error => "error",
        _ => "critical",
    };
}
