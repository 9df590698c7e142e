using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Horodate.Core.Diagnostics;
using Horodate.FunctionalTests.Support;
using Horodate.Server.Metrics;

namespace Horodate.FunctionalTests;

/// <summary>What Prometheus scrapes from <c>/metrics</c>: histograms it can take quantiles of, in a valid exposition.</summary>
public sealed class PrometheusTests
{
    [Fact]
    public async Task Write_sync_and_output_lag_are_histograms_with_cumulative_buckets_that_promtool_accepts()
    {
        using var dir = new TempDirectory();
        await using var harness = await ServerHarness.StartAsync(dir, ServerHarness.WithHttp);
        var client = await TestClient.RunFiftyAsync(harness, aligned: false, record: null, TimeSpan.FromSeconds(1.5)); // acknowledged: fsyncs
        using var http = harness.CreateHttpClient();

        var metrics = await http.GetStringAsync("/metrics", TestContext.Current.CancellationToken);

        var write = Histogram(metrics, "horodate_server_write_duration_seconds");
        var sync = Histogram(metrics, "horodate_server_sync_duration_seconds");
        var lag = Histogram(metrics, "horodate_server_output_lag_seconds");
        Assert.Equal(ServerMetrics.WriteBounds, write.Bounds);
        Assert.Equal(ServerMetrics.SyncBounds, sync.Bounds);
        Assert.Equal(ServerMetrics.OutputLagBoundsMs.Select(ms => ms / 1000.0), lag.Bounds);
        Assert.Equal(Value(metrics, "horodate_server_values_written_total"), lag.Count); // every value written has a lag
        Assert.True(write.Count > 0 && sync.Count > 0, $"{write.Count} writes, {sync.Count} syncs recorded");
        Assert.True(lag.Count <= client.Sent, $"{lag.Count} values written, {client.Sent} sent"); // dedupe: distinct values only
        foreach (var (name, histogram) in new[] { ("write", write), ("sync", sync), ("lag", lag) })
        {
            Assert.True(histogram.Cumulative.Zip(histogram.Cumulative.Skip(1)).All(p => p.First <= p.Second), $"{name}: not cumulative: {string.Join(' ', histogram.Cumulative)}");
            Assert.Equal(histogram.Count, histogram.Cumulative[^1]); // le="+Inf" is _count
            Assert.InRange(histogram.Sum, 0, histogram.Count * 60.0);
        }

        Assert.True(lag.Cumulative[^2] > 0, $"no value written within {lag.Bounds[^1]} s: {string.Join(' ', lag.Cumulative)}");
        await PromtoolCheckAsync(metrics);
    }

    [Fact]
    public void Every_output_lag_bound_starts_a_bucket_of_the_pipelines_histogram_so_its_count_is_exact() =>
        Assert.All(ServerMetrics.OutputLagBoundsMs, bound => Assert.True(LatencyHistogram.StartsBucket(bound), $"{bound} ms"));

    /// <summary>The bounds (without +Inf), the cumulative counts (with +Inf last), _count and _sum of one histogram.</summary>
    private static (double[] Bounds, long[] Cumulative, long Count, double Sum) Histogram(string metrics, string name)
    {
        Assert.Contains($"# TYPE {name} histogram\n", metrics);
        var buckets = Regex.Matches(metrics, $"^{name}_bucket\\{{le=\"([^\"]+)\"\\}} (\\d+)$", RegexOptions.Multiline);
        Assert.True(buckets.Count > 1, $"{name}: {buckets.Count} buckets");
        Assert.Equal("+Inf", buckets[^1].Groups[1].Value);
        var bounds = buckets.SkipLast(1).Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(bounds.Order(), bounds);
        return (bounds, [.. buckets.Select(m => long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture))],
            (long)Value(metrics, name + "_count"), Value(metrics, name + "_sum"));
    }

    private static double Value(string metrics, string name)
    {
        var match = Regex.Match(metrics, $"^{name} (\\S+)$", RegexOptions.Multiline);
        Assert.True(match.Success, $"no {name} in /metrics");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    /// <summary><c>promtool check metrics</c> (Debian's <c>prometheus</c> package): the exposition parses and passes its lint.</summary>
    private static async Task PromtoolCheckAsync(string metrics)
    {
        var promtool = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "promtool")).FirstOrDefault(File.Exists);
        Assert.True(promtool is not null, "promtool is not installed: apt-get install prometheus (scripts/test.sh does)");
        using var process = Process.Start(new ProcessStartInfo(promtool, ["check", "metrics"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(metrics);
        process.StandardInput.Close();
        await process.WaitForExitAsync().WaitAsync(Within.Short, TestContext.Current.CancellationToken);
        Assert.True(process.ExitCode == 0, $"promtool check metrics: exit {process.ExitCode}\n{await stdout}{await stderr}\n{metrics}");
        Assert.Equal("", (await stdout + await stderr).Trim()); // no lint problem either
    }
}
