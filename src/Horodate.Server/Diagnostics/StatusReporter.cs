using System.Globalization;
using Horodate.Server.Pipeline;

namespace Horodate.Server.Diagnostics;

/// <summary>Prints a status line every interval: connections, values in and written per second, problems, lag.</summary>
internal sealed class StatusReporter(IngestPipeline pipeline, ServerCounters counters, TextWriter output, TimeSpan interval)
    : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    public void Start()
    {
        if (interval > TimeSpan.Zero)
        {
            _loop = RunAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(interval);
        var previous = pipeline.Snapshot(takeLag: true);
        var previousTime = DateTime.UtcNow;
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                var now = DateTime.UtcNow;
                var current = pipeline.Snapshot(takeLag: true);

                var seconds = Math.Max((now - previousTime).TotalSeconds, 0.001);
                await output.WriteLineAsync(Format(previous, current, seconds, now)).ConfigureAwait(false);
                await output.FlushAsync().ConfigureAwait(false);
                previous = current;
                previousTime = now;
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    private string Format(PipelineStatus previous, PipelineStatus current, double seconds, DateTime now)
    {
        var c = current.Counters;
        var inRate = (c.Received - previous.Counters.Received) / seconds;
        var outRate = (current.WrittenValues - previous.WrittenValues) / seconds;
        var problems = current.PendingBytes > 0 ? $" | WRITE FAILING, {Units.Bytes(current.PendingBytes)} pending" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{now.ToLocalTime():HH:mm:ss} conns {counters.Open,5:N0} (active {current.ActiveSources:N0}) | in {inRate,8:N0}/s | written {outRate,8:N0}/s" +
            $" | dup {c.Duplicates:N0} | late {c.Late:N0} | rejected {counters.Rejected(c):N0}" +
            $" | lag p50 {current.Lag.Percentile(50):N0} ms p99 {current.Lag.Percentile(99):N0} ms | {Units.Bytes(current.OutputBytes)}{problems}");
    }
}
