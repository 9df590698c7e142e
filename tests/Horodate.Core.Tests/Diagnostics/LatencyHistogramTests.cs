using Horodate.Core.Diagnostics;

namespace Horodate.Core.Tests.Diagnostics;

public sealed class LatencyHistogramTests
{
    [Fact]
    public void Percentiles_are_within_the_bucket_precision()
    {
        var histogram = new LatencyHistogram();
        for (var v = 1; v <= 10_000; v++)
        {
            histogram.Record(v);
        }

        Assert.Equal(10_000, histogram.Count);
        Assert.Equal(10_000, histogram.Max);
        Assert.InRange(histogram.Percentile(50), 5_000 * 0.94, 5_000 * 1.06);
        Assert.InRange(histogram.Percentile(99), 9_900 * 0.94, 9_900 * 1.06);
    }

    [Fact]
    public void Small_values_are_exact_and_negative_ones_count_as_zero()
    {
        var histogram = new LatencyHistogram();
        histogram.Record(-5);
        histogram.Record(3, count: 3);

        Assert.Equal(0, histogram.Percentile(25));
        Assert.Equal(3, histogram.Percentile(100));
    }

    [Fact]
    public void The_difference_of_two_readings_holds_only_the_values_recorded_in_between()
    {
        var histogram = new LatencyHistogram();
        histogram.Record(10_000, count: 99);
        var earlier = histogram.Copy();
        histogram.Record(40, count: 3);
        histogram.Record(7);

        var between = histogram.Since(earlier);
        var again = histogram.Since(earlier); // reading does not take anything away

        Assert.Equal(4, between.Count);
        Assert.Equal(127, between.Sum);
        Assert.Equal(7, between.Percentile(25));
        Assert.InRange(between.Percentile(100), 40, 41); // not the 10,000s recorded before the earlier reading
        Assert.InRange(between.Max, 40, 41);        // the top of 40's bucket (40-41)
        Assert.Equal(between.Count, again.Count);
        Assert.Equal(0, histogram.Since(histogram.Copy()).Count);
    }

    [Fact]
    public void Adding_histograms_adds_their_counts()
    {
        var a = new LatencyHistogram();
        var b = new LatencyHistogram();
        a.Record(10);
        b.Record(1_000_000);

        a.Add(b);

        Assert.Equal(2, a.Count);
        Assert.Equal(1_000_010, a.Sum);
        Assert.Equal(1_000_000, a.Max);
    }

    [Fact]
    public void Counts_below_a_bound_are_exact_where_a_bucket_starts_and_short_by_less_than_a_bucket_elsewhere()
    {
        var histogram = new LatencyHistogram();
        for (var v = 0; v < 20_000; v++)
        {
            histogram.Record(v); // one of each: the count below b is b
        }

        var starts = 0;
        for (var bound = 0; bound <= 20_000; bound++)
        {
            if (LatencyHistogram.StartsBucket(bound))
            {
                starts++;
                Assert.Equal(bound, histogram.CountBelow(bound));
            }
            else
            {
                Assert.InRange(histogram.CountBelow(bound), (long)(bound * 0.94), bound - 1);
            }
        }

        Assert.Equal(33 + (9 * 16) - 1 + 4, starts); // 0..32; 16 per octave from 32 to 16,383 (32 counted); 16,384 + k × 1,024 for k = 0..3
        Assert.Equal(20_000L * 19_999 / 2, histogram.Sum);
        Assert.All(new long[] { 40, 50, 60, 80, 100, 120, 160, 200, 400, 800, 1_600, 12_800 }, b => Assert.True(LatencyHistogram.StartsBucket(b), $"{b}"));
        Assert.All(new long[] { 33, 70, 150, 250, 1_000 }, b => Assert.False(LatencyHistogram.StartsBucket(b), $"{b}"));
    }

    [Fact]
    public void Clearing_forgets_the_sum()
    {
        var histogram = new LatencyHistogram();
        histogram.Record(-5);
        histogram.Record(7, count: 3);
        Assert.Equal(21, histogram.Sum);

        histogram.Clear();

        Assert.Equal(0, histogram.Sum);
        Assert.Equal(0, histogram.CountBelow(100));
    }
}
