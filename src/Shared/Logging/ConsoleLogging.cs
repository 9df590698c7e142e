using Microsoft.Extensions.Logging;

namespace Horodate.Logging;

/// <summary>How both programs log: one line per message, with the time, on standard error (stdout is for status).</summary>
internal static class ConsoleLogging
{
    /// <summary>
    /// The programs' logger factory: messages from <paramref name="minimum"/> up (ASP.NET Core's from warnings up) to
    /// <see cref="StandardErrorLoggerProvider"/>. Built directly rather than through <c>LoggerFactory.Create</c>,
    /// whose service provider costs a native program most of its start (docs/performance.md, Native).
    /// </summary>
    public static ILoggerFactory CreateFactory(LogLevel minimum)
    {
        var factory = new LoggerFactory(
            [],
            new LoggerFilterOptions
            {
                MinLevel = minimum,
                Rules =
                {
                    new LoggerFilterRule(null, "Microsoft", LogLevel.Warning, null),

                    // The embedded Kestrel host logs a failed start (event 11: a port in use) as an error with the whole
                    // stack trace; the program reports that exception itself, in one line ("cannot start: ...").
                    new LoggerFilterRule(null, "Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical, null),
                },
            });
        factory.AddProvider(new StandardErrorLoggerProvider()); // added, not given to the constructor: disposed with the factory (its lines flushed)
        return factory;
    }

    /// <summary>The same, on a logging builder (an embedder's <c>configureLogging</c>).</summary>
    public static void Configure(ILoggingBuilder logging, LogLevel minimum)
    {
        logging.SetMinimumLevel(minimum);
        logging.AddProvider(new StandardErrorLoggerProvider());
    }
}
