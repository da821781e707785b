using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp.Tests.Extension;

/// <summary>Records every log entry, exceptions included, at every level, so tests can search all of it for secrets.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<string> Entries { get; } = new();

    public string AllText => string.Join(Environment.NewLine, Entries);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var structured = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(";", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
            owner.Entries.Enqueue($"{logLevel} {category}: {formatter(state, exception)} [{structured}] {exception}");
        }
    }
}
