using Horodate.Core.Ordering;

namespace Horodate.Core.Durability;

/// <summary>
/// Reads the clocks for the engine and counts the time during which the server did not read its sources
/// (<see cref="EngineTime.StalledMs"/>): while writes fail (the transports push back: <see cref="NotReading"/>),
/// and the part beyond <c>gapMs</c> of any gap between two readings (the core is read at every flush and every
/// read; a longer gap means the process did not run: SIGSTOP, a long GC pause, a VM frozen). The clients' values
/// wait in the socket buffers meanwhile; the engine does not count that time as their silence or lag.
/// </summary>
/// <remarks>
/// Overcounting a stall only delays the write point (never reorders), so a gap is judged generously; undercounting
/// by up to <c>gapMs</c> is what a stall costs in idle time. Not thread-safe: read under the ingest lock, so that the
/// readings it hands out never go back.
/// </remarks>
internal sealed class StallClock(TimeProvider time, long? gapMs)
{
    private long _lastMonoMs = -1;
    private long _stalledMs;

    /// <summary>True while the transports do not read (writes fail): all of that time is stalled.</summary>
    public bool NotReading { get; set; }

    /// <summary>
    /// The time until the next reading is rest, not a stall: the writer sleeps until woken because nothing is open
    /// (<see cref="IngestCore.Quiescent"/>) while the transports go on reading.
    /// </summary>
    public void Rest() => _lastMonoMs = -1;

    /// <summary>The clocks now, with the stalls so far.</summary>
    /// <remarks>
    /// Gaps count whether or not sources are open: clients may connect and send while the process does not run, and
    /// the resume grace must not run out meanwhile (simulator seed 2934). Only a sleep on purpose (<see cref="Rest"/>)
    /// is not one: counted, a long quiescent spell would leave the max-delay bound as far behind once traffic resumes.
    /// </remarks>
    public EngineTime Read()
    {
        var now = EngineTime.From(time);
        if (_lastMonoMs >= 0 && now.MonoMs > _lastMonoMs)
        {
            var gap = now.MonoMs - _lastMonoMs;
            _stalledMs += NotReading ? gap : gapMs is { } allowed ? Math.Max(0, gap - allowed) : 0;
        }

        _lastMonoMs = Math.Max(_lastMonoMs, now.MonoMs);
        return now with { StalledMs = _stalledMs };
    }
}
