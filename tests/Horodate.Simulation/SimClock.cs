namespace Horodate.Simulation;

/// <summary>
/// The clock seam of the simulation: monotonic time only moves forward, by the scheduler; the wall clock
/// is monotonic time plus an offset that the schedule can step forward or back (NTP, a VM pause).
/// </summary>
internal sealed class SimClock : TimeProvider
{
    /// <summary>Unix ms at the simulation's start (2023-11-14).</summary>
    public const long Epoch = 1_700_000_000_000;

    public long MonoMs { get; private set; }

    public long WallOffsetMs { get; set; } = Epoch;

    public long WallMs => MonoMs + WallOffsetMs;

    public void Advance(long ms) => MonoMs += ms;

    public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(WallMs);

    public override long TimestampFrequency => 1_000;

    public override long GetTimestamp() => MonoMs;
}
