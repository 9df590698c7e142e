using Horodate.FunctionalTests.Support;
using Horodate.Server.Hosting;
using Horodate.Server.Pipeline;
using Horodate.Server.Status;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Horodate.FunctionalTests;

/// <summary>The dashboard's memory: a sample a second, the last ten minutes, asked for from a time on.</summary>
public sealed class StatusHistoryTests
{
    [Fact]
    public async Task The_history_keeps_the_last_ten_minutes_and_answers_from_the_time_asked()
    {
        using var dir = new TempDirectory();
        // Each reading of the clock moves it a second on: each sample is a second after the one before.
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000)) { AutoAdvanceAmount = TimeSpan.FromSeconds(1) };
        using var pipeline = IngestPipeline.Open(new ServerOptions { Output = dir.File("out.txt") }, clock, NullLogger.Instance);
        await using var history = new StatusHistory(new StatusSource(pipeline, new ServerCounters(), clock), clock, TimeSpan.FromHours(1)); // never ticks by itself

        var taken = Enumerable.Range(0, StatusHistory.Capacity + 100).Select(_ => history.Take().Time).ToArray();
        var all = history.Since(0);
        var recent = history.Since(taken[^3]);

        Assert.Equal(taken[^StatusHistory.Capacity..], all.Select(s => s.Time)); // the oldest 100 fell off, in order
        Assert.Equal(taken[^2..], recent.Select(s => s.Time));
        Assert.Empty(history.Since(taken[^1]));
        Assert.All(all, s => Assert.Null(s.WatermarkLagMs)); // no source open: idle, not a growing lag
    }
}
