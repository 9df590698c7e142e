namespace Horodate.Core.Durability;

/// <summary>
/// When to fsync: every <c>--sync-interval</c> (monotonic time) while acknowledged clients are connected or
/// the journal still says they are, and at the stop. Plain mode is made durable at the stop only, which
/// spares its writes the wait an fsync imposes on them.
/// </summary>
public sealed class SyncCadence(long intervalMs, long startMonoMs)
{
    private long _lastMonoMs = startMonoMs;

    /// <summary>Whether the journal's last word is that acknowledged clients are connected.</summary>
    public bool JournalAcknowledging { get; private set; }

    /// <summary>
    /// Whether this flush ends with a sync. <paramref name="finalDue"/>: a finished client's values are all
    /// written and it waits for its final acknowledgement only: the sync is not put off to the interval.
    /// </summary>
    public bool IsDue(long monoMs, bool final, bool acknowledging, bool finalDue = false) =>
        final || finalDue || ((acknowledging || JournalAcknowledging) && monoMs - _lastMonoMs >= intervalMs);

    /// <summary>
    /// Whether the journal must first say that acknowledged clients are connected (and be fsynced), before any
    /// of their values reach the files: after a crash, what follows is then cut and resent, not kept and doubled.
    /// </summary>
    public bool NeedsAcknowledgingRecord(bool journaled, bool acknowledging) => journaled && acknowledging && !JournalAcknowledging;

    /// <summary>A sync was asked for at <paramref name="monoMs"/>, recording <paramref name="acknowledging"/>.</summary>
    public void Requested(long monoMs, bool acknowledging)
    {
        _lastMonoMs = monoMs;
        JournalAcknowledging = acknowledging;
    }
}
