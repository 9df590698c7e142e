using Horodate.Core.Ordering;
using Horodate.Core.Storage;

namespace Horodate.Core.Durability;

/// <summary>Where the durable path writes and how often it syncs.</summary>
public sealed record IngestOptions
{
    /// <summary>The ordered output file.</summary>
    public required string Output { get; init; }

    /// <summary>The side file for late values (default <c>Output + ".late"</c>).</summary>
    public string LateOutput => Output + ".late";

    /// <summary>The keep-duplicates journal (<c>Output + ".clients"</c>).</summary>
    public string JournalPath => Output + ".clients";

    /// <summary>How the engine merges.</summary>
    public required OrderingOptions Ordering { get; init; }

    /// <summary>How often, at most, an fsync is asked for while acknowledged clients are connected (default 1 s).</summary>
    public long SyncIntervalMs { get; init; } = 1_000;

    /// <summary>
    /// How often, at most, a sending connection is told what became durable (0, the default: at every sync; the
    /// server sets its <c>--ack-interval</c>). A finished connection's final acknowledgement, and one held back by a
    /// full socket or a failed write, do not wait.
    /// </summary>
    public long AckIntervalMs { get; init; }

    /// <summary>
    /// A gap longer than this between two readings of the core (flushes, reads) while sources are open means the
    /// process did not run (stopped, a long GC pause, a frozen VM): the excess is not counted as the sources' silence
    /// or lag. <see langword="null"/> (the default): gaps are not judged, for a caller that steps time itself; an
    /// executor that reads the core on a cadence sets it with <see cref="StallGapFor"/>.
    /// </summary>
    public long? StallGapMs { get; init; }

    /// <summary>
    /// The stall gap for an executor that flushes every <paramref name="flushIntervalMs"/>: a quarter of the idle
    /// timeout, so that the part of a stall still counted cannot by itself expire a source whose values wait unread,
    /// at most 250 ms (25 flush intervals at the default 10 ms, which a writer thread scheduled late on a loaded
    /// machine stays well under), and at least two flush intervals (the flushes' own gaps are no stall).
    /// Over-counting a stall only delays the write point, never reorders.
    /// </summary>
    public static long StallGapFor(OrderingOptions ordering, long flushIntervalMs)
    {
        ArgumentNullException.ThrowIfNull(ordering);
        return Math.Max(2 * flushIntervalMs, Math.Min(250, ordering.IdleTimeoutMs / 4));
    }

    /// <summary>The size from which the running journal is rewritten as one record (default <see cref="ClientJournal.RotateBytes"/>, 8 MiB).</summary>
    public long JournalRotateBytes { get; init; } = ClientJournal.RotateBytes;

    /// <summary>Checks the options (and the <see cref="Ordering"/> ones) and throws <see cref="ArgumentException"/> naming the first bad one.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Output);
        ArgumentNullException.ThrowIfNull(Ordering);
        Ordering.Validate();
        ArgumentOutOfRangeException.ThrowIfNegative(SyncIntervalMs);
        ArgumentOutOfRangeException.ThrowIfNegative(AckIntervalMs);
        if (StallGapMs is { } gap)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(gap, nameof(StallGapMs));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(JournalRotateBytes);
    }
}

/// <summary>A consistent snapshot of an <see cref="IngestCore"/>.</summary>
public sealed record IngestStatus(
    OrderingCounters Counters, int OpenSources, int ActiveSources, long Floor, long BufferedValues, long DroppedAtStop, WriterStats Writer);
