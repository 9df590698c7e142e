using System.Diagnostics;
using Horodate.FunctionalTests.Support;
using Horodate.Server.Hosting;
using Horodate.Server.Pipeline;
using Microsoft.Extensions.Logging.Abstractions;

namespace Horodate.FunctionalTests;

/// <summary>Issue 12 §3, "idle means idle": the writer sleeps while nothing can change, yet stays prompt.</summary>
public sealed class IdleWriterTests
{
    /// <summary>
    /// A window of 1 s is 100 flush intervals at the default 10 ms: a writer that flushed per interval would
    /// run about 100 steps in it; a sleeping one runs the step it started with (plus one a slow start may add).
    /// </summary>
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task An_idle_writer_does_not_flush_every_interval_and_a_value_after_the_idle_period_is_written_promptly()
    {
        using var dir = new TempDirectory();
        var output = dir.File("out.txt");
        using var pipeline = IngestPipeline.Open(new ServerOptions { Output = output }, TimeProvider.System, NullLogger.Instance);
        pipeline.Start();

        await Task.Delay(Window, TestContext.Current.CancellationToken); // an observation window, not a synchronisation
        var before = pipeline.Flushes;
        await Task.Delay(Window, TestContext.Current.CancellationToken);
        var flushes = pipeline.Flushes - before;
        Assert.True(flushes <= 2, $"{flushes} flush steps in an idle second");

        var value = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();
        var sent = Stopwatch.StartNew();
        var source = pipeline.OpenSource();
        pipeline.Ingest(source, [value]);
        pipeline.CloseSource(source);

        await AssertWrittenPromptlyAsync(output, value, sent);
    }

    [Fact]
    public async Task Once_every_open_connection_has_been_silent_past_the_idle_timeout_the_writer_sleeps_and_a_new_value_is_still_written_promptly()
    {
        using var dir = new TempDirectory();
        var output = dir.File("out.txt");
        var options = new ServerOptions { Output = output };
        using var pipeline = IngestPipeline.Open(options, TimeProvider.System, NullLogger.Instance);
        pipeline.Start();
        var silent = Enumerable.Range(0, 200).Select(_ => pipeline.OpenSource()).ToList(); // connected, never sending

        // Past the idle timeout (1 s) the connections hold nothing; an observation window after that.
        await Task.Delay(TimeSpan.FromMilliseconds(options.Ordering.IdleTimeoutMs) + Window, TestContext.Current.CancellationToken);
        var before = pipeline.Flushes;
        await Task.Delay(Window, TestContext.Current.CancellationToken);
        var flushes = pipeline.Flushes - before;
        Assert.True(flushes <= 2, $"{flushes} flush steps in a second with {silent.Count} silent connections");

        var value = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();
        var sent = Stopwatch.StartNew();
        pipeline.Ingest(silent[0], [value]);
        pipeline.CloseSource(silent[0]); // nothing else holds the write point: the value can go at once

        await AssertWrittenPromptlyAsync(output, value, sent);
    }

    /// <summary>Polls the file until it holds <paramref name="value"/>; within 1 s of <paramref name="sent"/> (generous: the cadence is 10 ms).</summary>
    private static async Task AssertWrittenPromptlyAsync(string output, long value, Stopwatch sent)
    {
        var deadline = TimeSpan.FromSeconds(10);
        while (!File.ReadAllText(output).Contains(value.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal))
        {
            Assert.True(sent.Elapsed < deadline, "the value was never written");
            await Task.Delay(5, TestContext.Current.CancellationToken); // polling the file
        }

        Assert.True(sent.Elapsed < TimeSpan.FromSeconds(1), $"written after {sent.Elapsed.TotalMilliseconds:F0} ms");
    }
}
