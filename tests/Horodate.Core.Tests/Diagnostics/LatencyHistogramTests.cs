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
    public void Adding_histograms_adds_their_counts()
    {
        var a = new LatencyHistogram();
        var b = new LatencyHistogram();
        a.Record(10);
        b.Record(1_000_000);

        a.Add(b);

        Assert.Equal(2, a.Count);
        Assert.Equal(1_000_000, a.Max);
    }
}
