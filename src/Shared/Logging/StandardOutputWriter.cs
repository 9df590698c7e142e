namespace Horodate.Logging;

/// <summary>
/// The process's one writer to standard output (the listening line, the status lines, the exit summary, <c>--json</c>'s
/// object): a <see cref="LineQueue"/>, so that a standard output nobody reads (a full pipe) never blocks the status
/// reporter or the graceful stop, which waits for it at most <see cref="FlushTimeout"/>. Before, the status reporter
/// blocked in its write and the stop waited for the reporter forever. Lines that find the queue full are dropped and
/// counted; standard error says so at the first, and how many once standard output takes lines again.
/// </summary>
internal static class StandardOutputWriter
{
    /// <summary>
    /// Lines held while standard output blocks: 256 (~40 KB at ~150 bytes a status line). At the default 5 s status
    /// interval that is 20 minutes of lines behind a reader that pauses; a program writes a handful of other lines.
    /// </summary>
    public const int Capacity = 256;

    /// <summary>How long a flush (a program's exit, the listening line) waits for standard output: it may never take it.</summary>
    public static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(2);

    private static readonly LineQueue Lines = new("horodate-stdout", () => LineQueue.Unlocked(1, Console.Out), Capacity, dropped =>
        StandardErrorWriter.Enqueue(StandardErrorWriter.Warning(dropped == 0
            ? "standard output is not taking lines (a full pipe nobody reads?): status lines are dropped until it does."
            : $"{dropped} lines of standard output dropped: it was not taking them.")));

    /// <summary>The queue as a <see cref="TextWriter"/>.</summary>
    public static TextWriter Writer { get; } = new QueuedTextWriter(Lines);

    /// <summary>Waits until every line queued so far is written, or <see cref="FlushTimeout"/>; true if written.</summary>
    public static bool Flush() => Lines.Flush(FlushTimeout);
}
