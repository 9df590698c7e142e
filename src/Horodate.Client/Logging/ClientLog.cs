using Microsoft.Extensions.Logging;

namespace Horodate.Client.Logging;

/// <summary>The client's log messages, with stable event ids (1xx connections, 2xx lifecycle).</summary>
internal static partial class ClientLog
{
    /// <summary>
    /// A failed connection attempt (rate-limited): with the count of the failures held back since the last one said,
    /// when there were any (event 105), or without a word of them (event 100; "0 more failures not shown" said nothing).
    /// </summary>
    public static void ConnectFailed(ILogger logger, string server, string reason, long suppressed)
    {
        if (suppressed > 0)
        {
            ConnectFailedAgain(logger, server, reason, suppressed);
        }
        else
        {
            ConnectFailed(logger, server, reason);
        }
    }

    /// <summary>A lost connection (rate-limited): with the count of the losses held back, when there were any (event 106), or without (event 101).</summary>
    public static void ConnectionLost(ILogger logger, string server, string reason, long suppressed)
    {
        if (suppressed > 0)
        {
            ConnectionLostAgain(logger, server, reason, suppressed);
        }
        else
        {
            ConnectionLost(logger, server, reason);
        }
    }

    [LoggerMessage(100, LogLevel.Warning, "Cannot connect to {Server}: {Reason}. Retrying with backoff.")]
    private static partial void ConnectFailed(ILogger logger, string server, string reason);

    [LoggerMessage(101, LogLevel.Warning, "Lost a connection to {Server}: {Reason}. Reconnecting with backoff.")]
    private static partial void ConnectionLost(ILogger logger, string server, string reason);

    [LoggerMessage(102, LogLevel.Information, "All {Count} connections to {Server} are up after {Seconds:0.00} s.")]
    public static partial void AllUp(ILogger logger, int count, string server, double seconds);

    [LoggerMessage(103, LogLevel.Warning, "{Server} does not answer the acknowledged-mode hello within {Seconds} s (a plain server?): carrying on in plain mode. Values are not kept for resending; --no-ack skips the hello.")]
    public static partial void PlainServer(ILogger logger, string server, double seconds);

    [LoggerMessage(104, LogLevel.Warning, "{Pending} values were still unacknowledged after waiting {Seconds} s at stop.")]
    public static partial void UnackedAtStop(ILogger logger, long pending, double seconds);

    [LoggerMessage(105, LogLevel.Warning, "Cannot connect to {Server}: {Reason}. Retrying with backoff; {Suppressed} more failures not shown.")]
    private static partial void ConnectFailedAgain(ILogger logger, string server, string reason, long suppressed);

    [LoggerMessage(106, LogLevel.Warning, "Lost a connection to {Server}: {Reason}. Reconnecting with backoff; {Suppressed} more losses not shown.")]
    private static partial void ConnectionLostAgain(ILogger logger, string server, string reason, long suppressed);

    [LoggerMessage(200, LogLevel.Information, "Wrote {Count} sent values to {Path}.")]
    public static partial void RecordWritten(ILogger logger, long count, string path);
}
