namespace Horodate.Core.Ordering;

/// <summary>
/// The two clocks the engine reads, in milliseconds: the wall clock (Unix time), to compare values with
/// "now" (max-future, lag, a new source's place); and a monotonic clock (any origin), to time the idle
/// timeout, the max-delay and the resume grace, which must not jump when the wall clock is stepped.
/// </summary>
public readonly record struct EngineTime(long WallMs, long MonoMs)
{
    /// <summary>Reads both clocks of <paramref name="time"/>.</summary>
    public static EngineTime From(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        return new(time.GetUtcNow().ToUnixTimeMilliseconds(), (long)time.GetElapsedTime(0).TotalMilliseconds);
    }
}
