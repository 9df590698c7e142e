namespace Horodate.Logging;

/// <summary>
/// The process's one writer of log lines to standard error: a <see cref="LineQueue"/>, so that logging never blocks the
/// thread that logs when standard error blocks (a pipe nobody reads, a stalled journal). Before, each line was written
/// where it was logged: with standard error piped to a full pipe, the epoll receive thread stalled at its next
/// connection's log line and no connection was read or acknowledged any more. A line that finds the queue full is
/// dropped and counted; the thread says how many once standard error takes lines again.
/// </summary>
internal static class StandardErrorWriter
{
    /// <summary>
    /// Lines held while standard error blocks: 1,024 (~130 KB at ~130 bytes a line), twice a pipe's 64 KB buffer. Every
    /// message the programs log on a busy path is rate-limited (one per reason per 5 s), so a queue this long fills only
    /// when standard error has stopped taking lines, and a burst (a restart's thousands of reconnects at Debug) waits in it.
    /// </summary>
    public const int Capacity = 1024;

    /// <summary>How long a flush (a program's exit) waits for standard error to take what is queued: it may never.</summary>
    public static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(2);

    private static readonly LineQueue Lines = new("horodate-log", () => LineQueue.Unlocked(2, Console.Error), Capacity, dropped =>
    {
        if (dropped > 0)
        {
            Lines!.WriteNow(Warning($"{dropped} log messages dropped: standard error was not taking lines."));
        }
    });

    /// <summary>The queue as a <see cref="TextWriter"/>: <c>--json</c>'s notes and status lines.</summary>
    public static TextWriter Writer { get; } = new QueuedTextWriter(Lines);

    /// <summary>Queues <paramref name="line"/> (newline included) for standard error; drops it if the queue is full.</summary>
    public static void Enqueue(string line) => Lines.Enqueue(line);

    /// <summary>Waits until every line queued so far is written, or <see cref="FlushTimeout"/>; true if written.</summary>
    public static bool Flush() => Lines.Flush(FlushTimeout);

    /// <summary>A warning of the programs' own, in the log's line format (<c>14:02:11 warn: Horodate.Logging[1] ...</c>).</summary>
    public static string Warning(string message) =>
        $"{DateTime.Now.ToString("HH:mm:ss ", System.Globalization.CultureInfo.InvariantCulture)}warn: Horodate.Logging[1] {message}{Environment.NewLine}";
}
