using Microsoft.Extensions.Logging;

namespace Horodate.Logging;

/// <summary>How both programs log: one line per message, with the time, on standard error (stdout is for status).</summary>
internal static class ConsoleLogging
{
    public static void Configure(ILoggingBuilder logging, LogLevel minimum)
    {
        logging.SetMinimumLevel(minimum);
        logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    }
}
