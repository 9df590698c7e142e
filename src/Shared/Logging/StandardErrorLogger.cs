using System.Text;
using Microsoft.Extensions.Logging;

namespace Horodate.Logging;

/// <summary>
/// Writes each message as one line on standard error, in the format of Microsoft.Extensions.Logging's simple console
/// formatter with <c>SingleLine</c> (<c>14:02:11 warn: Horodate.Server[12] message</c>), without its options, its
/// dependency injection and its service provider: what a native program's start would otherwise build through the
/// runtime's type loader (docs/performance.md, Native). The line is formatted where the message is logged and written
/// by <see cref="StandardErrorWriter"/>'s thread: a standard error nobody reads (a full pipe) never stalls the thread
/// that logs (the epoll receive thread, the writer), it drops lines and says how many.
/// </summary>
internal sealed class StandardErrorLoggerProvider : ILoggerProvider
{
    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new Logger(categoryName);

    /// <summary>Writes out what was logged (bounded by <see cref="StandardErrorWriter.FlushTimeout"/>).</summary>
    public void Dispose() => StandardErrorWriter.Flush();

    private sealed class Logger(string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var line = new StringBuilder(128)
                .Append(DateTime.Now.ToString("HH:mm:ss ", System.Globalization.CultureInfo.InvariantCulture))
                .Append(Level(logLevel)).Append(": ").Append(category).Append('[').Append(eventId.Id).Append("] ")
                .Append(OneLine(formatter(state, exception)));
            if (exception is not null)
            {
                line.Append(' ').Append(OneLine(exception.ToString()));
            }

            StandardErrorWriter.Enqueue(line.AppendLine().ToString());
        }

        private static string OneLine(string text) => text.ReplaceLineEndings(" ");

        private static string Level(LogLevel level) => level switch
        {
            LogLevel.Trace => "trce",
            LogLevel.Debug => "dbug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warn",
            LogLevel.Error => "fail",
            _ => "crit",
        };
    }
}
