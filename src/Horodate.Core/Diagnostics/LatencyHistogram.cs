using System.Numerics;

namespace Horodate.Core.Diagnostics;

/// <summary>
/// A log-linear histogram of non-negative integers (microseconds, milliseconds: the caller's unit):
/// exact below 32, then 16 buckets per power of two (at most 6% error). Fixed size, no allocation
/// when recording. Not thread-safe: keep one per thread and <see cref="Add"/> them.
/// </summary>
public sealed class LatencyHistogram
{
    private const int Exact = 32;       // values 0..31 get a bucket each
    private const int SubBits = 4;      // 16 sub-buckets per power of two above that
    private const int FirstExponent = 5; // log2(Exact)
    private const int BucketCount = Exact + ((63 - FirstExponent) << SubBits);

    private readonly long[] _buckets = new long[BucketCount];

    /// <summary>How many values were recorded.</summary>
    public long Count { get; private set; }

    /// <summary>The largest value recorded, or 0.</summary>
    public long Max { get; private set; }

    /// <summary>The total of the values recorded (negative ones as 0).</summary>
    public long Sum { get; private set; }

    /// <summary>Records <paramref name="value"/> <paramref name="count"/> times; negative values count as 0.</summary>
    public void Record(long value, long count = 1)
    {
        if (value < 0)
        {
            value = 0;
        }

        _buckets[BucketOf(value)] += count;
        Count += count;
        Sum += value * count;
        if (value > Max)
        {
            Max = value;
        }
    }

    /// <summary>The value below which <paramref name="percentile"/> percent of the recorded values fall (bucket midpoint).</summary>
    public long Percentile(double percentile)
    {
        if (Count == 0)
        {
            return 0;
        }

        var rank = (long)Math.Ceiling(Count * Math.Clamp(percentile, 0, 100) / 100.0);
        rank = Math.Max(rank, 1);
        long seen = 0;
        for (var i = 0; i < _buckets.Length; i++)
        {
            seen += _buckets[i];
            if (seen >= rank)
            {
                return Math.Min(Midpoint(i), Max);
            }
        }

        return Max;
    }

    /// <summary>Adds every value recorded in <paramref name="other"/> to this histogram.</summary>
    public void Add(LatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (var i = 0; i < _buckets.Length; i++)
        {
            _buckets[i] += other._buckets[i];
        }

        Count += other.Count;
        Sum += other.Sum;
        Max = Math.Max(Max, other.Max);
    }

    /// <summary>
    /// A copy of this histogram: a reading that later recordings do not change, to take <see cref="Since"/> from.
    /// </summary>
    public LatencyHistogram Copy()
    {
        var copy = new LatencyHistogram();
        copy.Add(this);
        return copy;
    }

    /// <summary>
    /// The values recorded between <paramref name="earlier"/> (an earlier <see cref="Copy"/> of this histogram) and
    /// now: the difference of two cumulative readings, so that any number of readers each take their own interval
    /// and none resets what another reads. Its <see cref="Max"/> is the top of the highest bucket that gained values
    /// (at most this histogram's <see cref="Max"/>): the exact largest value of an interval is not kept.
    /// </summary>
    public LatencyHistogram Since(LatencyHistogram earlier)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        var change = new LatencyHistogram();
        var top = -1;
        for (var i = 0; i < _buckets.Length; i++)
        {
            change._buckets[i] = _buckets[i] - earlier._buckets[i];
            if (change._buckets[i] != 0)
            {
                top = i;
            }
        }

        change.Count = Count - earlier.Count;
        change.Sum = Sum - earlier.Sum;
        change.Max = top < 0 ? 0 : Math.Min(Max, LowEdge(top) + Width(top) - 1);
        return change;
    }

    /// <summary>Forgets every value.</summary>
    public void Clear()
    {
        Array.Clear(_buckets);
        Count = 0;
        Sum = 0;
        Max = 0;
    }

    /// <summary>
    /// How many recorded values are below <paramref name="bound"/>: exact when <paramref name="bound"/> starts a
    /// bucket (see <see cref="StartsBucket"/>), otherwise the values of the buckets wholly below it (up to one
    /// bucket, 6% of the bound, fewer).
    /// </summary>
    public long CountBelow(long bound)
    {
        if (bound <= 0)
        {
            return 0;
        }

        long below = 0;
        var end = BucketOf(bound);
        for (var i = 0; i < end; i++)
        {
            below += _buckets[i];
        }

        return below;
    }

    /// <summary>
    /// True when <paramref name="bound"/> is where a bucket starts, so that <see cref="CountBelow"/> is exact for
    /// it: every value up to 32, and above that 2^e × (1 + k/16), such as 40, 50, 60, 80, 100, 200, 400, 800.
    /// </summary>
    public static bool StartsBucket(long bound) => bound <= Exact || LowEdge(BucketOf(bound)) == bound;

    private static int BucketOf(long value)
    {
        if (value < Exact)
        {
            return (int)value;
        }

        var exponent = 63 - BitOperations.LeadingZeroCount((ulong)value);
        var sub = (int)(value >> (exponent - SubBits)) & ((1 << SubBits) - 1);
        return Exact + ((exponent - FirstExponent) << SubBits) + sub;
    }

    private static long Midpoint(int bucket) => bucket < Exact ? bucket : LowEdge(bucket) + (Width(bucket) / 2);

    private static long LowEdge(int bucket)
    {
        if (bucket < Exact)
        {
            return bucket;
        }

        var exponent = ((bucket - Exact) >> SubBits) + FirstExponent;
        var sub = (bucket - Exact) & ((1 << SubBits) - 1);
        return (1L << exponent) + (sub * Width(bucket));
    }

    private static long Width(int bucket) =>
        bucket < Exact ? 1 : 1L << (((bucket - Exact) >> SubBits) + FirstExponent - SubBits);
}
