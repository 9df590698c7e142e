namespace Horodate.Core.Ordering;

/// <summary>
/// The clocks the engine reads, in milliseconds: the wall clock (Unix time), to compare values with "now"
/// (max-future, lag, a new source's place); and a monotonic clock (any origin), to time the idle timeout,
/// the max-delay and the resume grace, which must not jump when the wall clock is stepped.
/// </summary>
/// <remarks>
/// <see cref="StalledMs"/> is the part of the monotonic clock, so far, during which the server did not read its
/// sources: writes failed and the transports pushed back, or the process did not run (stopped, a long GC pause).
/// The sources' values wait in the socket buffers meanwhile, so that time is nobody's silence or lag: the engine
/// times the idle timeout, the max-delay and the resume grace on <see cref="ListeningMs"/>.
/// </remarks>
public readonly record struct EngineTime(long WallMs, long MonoMs)
{
    /// <summary>Of <see cref="MonoMs"/>, the milliseconds during which the server did not read (never decreases).</summary>
    public long StalledMs { get; init; }

    /// <summary>The monotonic clock less the stalls: the time during which the server read its sources.</summary>
    public long ListeningMs => MonoMs - StalledMs;

    /// <summary>Reads both clocks of <paramref name="time"/>.</summary>
    public static EngineTime From(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        return new(time.GetUtcNow().ToUnixTimeMilliseconds(), (long)time.GetElapsedTime(0).TotalMilliseconds);
    }
}
