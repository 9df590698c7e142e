using Horodate.Core.Protocol;
using Microsoft.Extensions.Logging;

namespace Horodate.Server.Logging;

/// <summary>The server's log messages, with stable event ids (1xx connections, 2xx storage, 3xx lifecycle).</summary>
internal static partial class ServerLog
{
    [LoggerMessage(100, LogLevel.Debug, "Connection {ConnectionId} from {Remote} accepted.")]
    public static partial void ConnectionAccepted(ILogger logger, string connectionId, string? remote);

    [LoggerMessage(101, LogLevel.Debug, "Connection {ConnectionId} closed after {Values} values ({Rejected} rejected lines).")]
    public static partial void ConnectionClosed(ILogger logger, string connectionId, long values, long rejected);

    [LoggerMessage(102, LogLevel.Warning, "Connection {ConnectionId} from {Remote} sent a rejected line ({Reason}); {Suppressed} more rejections not logged since the last report.")]
    public static partial void LineRejected(ILogger logger, string connectionId, string? remote, LineStatus reason, long suppressed);

    [LoggerMessage(103, LogLevel.Warning, "Closing connection {ConnectionId} from {Remote}: it does not speak the protocol ({Reason}; {Rejected} rejected lines).")]
    public static partial void ClosingForGarbage(ILogger logger, string connectionId, string? remote, LineStatus reason, long rejected);

    [LoggerMessage(104, LogLevel.Debug, "Connection {ConnectionId} failed: {Message}")]
    public static partial void ConnectionFailed(ILogger logger, string connectionId, string message);

    [LoggerMessage(105, LogLevel.Error, "Accepting on {Endpoint} failed, backing off: {Message}; {Suppressed} more failures not logged.")]
    public static partial void AcceptFailed(ILogger logger, string? endpoint, string message, long suppressed);

    [LoggerMessage(106, LogLevel.Warning, "Refused a connection from {Remote}: {Reason}; {Suppressed} more refusals not logged.")]
    public static partial void ConnectionRefused(ILogger logger, string? remote, string reason, long suppressed);

    [LoggerMessage(107, LogLevel.Information, "Closing connection {ConnectionId} from {Remote}: silent for {Seconds} s; {Suppressed} more not logged.")]
    public static partial void ClosingIdle(ILogger logger, string connectionId, string? remote, double seconds, long suppressed);

    [LoggerMessage(200, LogLevel.Warning, "{Path} ended with a partial line ({Bytes} bytes, left by a crash?): cut off. Appending after {LastValue}.")]
    public static partial void TornLineCut(ILogger logger, string path, long bytes, long? lastValue);

    [LoggerMessage(201, LogLevel.Information, "Resuming {Path} after its last value {LastValue} ({Length} bytes).")]
    public static partial void Resuming(ILogger logger, string path, long lastValue, long length);

    [LoggerMessage(202, LogLevel.Error, "Writing to {Path} failed; the values are kept in memory and the write is retried: {Message}")]
    public static partial void WriteFailed(ILogger logger, string path, string message);

    [LoggerMessage(203, LogLevel.Information, "Writing to {Path} works again; {Bytes} bytes caught up.")]
    public static partial void WriteRecovered(ILogger logger, string path, long bytes);

    [LoggerMessage(204, LogLevel.Warning, "{Count} late values (below what was already written) stored in {Path}; {Suppressed} more reports held back.")]
    public static partial void LateValues(ILogger logger, long count, string path, long suppressed);

    [LoggerMessage(205, LogLevel.Warning, "{Count} values more than {MaxFutureMs} ms ahead of the server's clock were rejected; {Suppressed} more reports held back.")]
    public static partial void FutureValues(ILogger logger, long count, long maxFutureMs, long suppressed);

    [LoggerMessage(206, LogLevel.Warning, "Cut {MainBytes} bytes of {Path} (and {LateBytes} of its .late file) written after the last durable state, never acknowledged: the clients that sent them resend them.")]
    public static partial void CutToJournal(ILogger logger, string path, long mainBytes, long lateBytes);

    [LoggerMessage(210, LogLevel.Critical, "fsync of {Path} failed: {Message}. Stopping: nothing more is acknowledged (a later fsync could succeed without the lost data). Clients resend what was not acknowledged once the server is restarted; check the disk first.")]
    public static partial void SyncFailed(ILogger logger, string path, string message);

    [LoggerMessage(211, LogLevel.Error, "Stopped with {Bytes} bytes not written to {Path}: writing kept failing for {Seconds} s. None of it was acknowledged: clients in acknowledged mode resend it to the next server; a plain client's values in it are lost.")]
    public static partial void StoppedUnwritten(ILogger logger, string path, long bytes, double seconds);

    [LoggerMessage(300, LogLevel.Information, "Stopping: no new connections; writing everything received.")]
    public static partial void Stopping(ILogger logger);

    [LoggerMessage(302, LogLevel.Critical, "Another process publishes as edge {Edge} (it claimed a life after this one's): stopping, as frames of this life would land behind it (the root takes them as late). Clients resend what was not acknowledged to another edge. Is --edge-id unique?")]
    public static partial void EdgeSuperseded(ILogger logger, string edge);

    [LoggerMessage(301, LogLevel.Critical, "epoll_wait failed (errno {Errno}): no connection can be read any more; the server stops.")]
    public static partial void EpollWaitFailed(ILogger logger, int errno);
}
