using System.Diagnostics;

namespace Horodate.Core.Diagnostics;

/// <summary>
/// Lets one event through per period and counts the ones it holds back, so that a flood of bad input
/// cannot flood the log. Thread-safe, lock-free.
/// </summary>
public sealed class RateLimiter(TimeSpan period)
{
    private readonly long _periodTicks = (long)(period.TotalSeconds * Stopwatch.Frequency);
    private long _nextTicks;
    private long _suppressed;

    /// <summary>True if the caller may log now; <paramref name="suppressed"/> is how many were held back since the last one.</summary>
    public bool TryAcquire(out long suppressed)
    {
        var now = Stopwatch.GetTimestamp();
        var next = Volatile.Read(ref _nextTicks);
        if (now >= next && Interlocked.CompareExchange(ref _nextTicks, now + _periodTicks, next) == next)
        {
            suppressed = Interlocked.Exchange(ref _suppressed, 0);
            return true;
        }

        Interlocked.Increment(ref _suppressed);
        suppressed = 0;
        return false;
    }
}
