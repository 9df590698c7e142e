using System.Diagnostics;
using System.Diagnostics.Metrics;
using Horodate.Server.Metrics;

namespace Horodate.Server.Pipeline;

/// <summary>
/// The pipeline's two recorded instruments on the <c>Horodate.Server</c> meter (the one <see cref="ServerMetrics"/>
/// observes the rest on: the factory hands out one meter per name): how long each append and each sync take.
/// Given to the pipeline when it is built; nothing is recorded while no listener is on.
/// </summary>
internal sealed class PipelineTimings
{
    private readonly Histogram<double> _writeDuration;
    private readonly Histogram<double> _syncDuration;

    public PipelineTimings(IMeterFactory factory)
    {
        var meter = factory.Create(ServerMetrics.MeterName);
        _writeDuration = meter.CreateHistogram("horodate.server.write.duration", "s", "Duration of each append to the output file.",
            tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = ServerMetrics.WriteBounds });
        _syncDuration = meter.CreateHistogram("horodate.server.sync.duration", "s", "Duration of each fsync (and journal record).",
            tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = ServerMetrics.SyncBounds });
    }

    /// <summary>An append that began at <paramref name="startTimestamp"/> (a <see cref="Stopwatch"/> timestamp) ended now.</summary>
    public void RecordWrite(long startTimestamp) => Record(_writeDuration, startTimestamp);

    /// <summary>A sync that began at <paramref name="startTimestamp"/> (a <see cref="Stopwatch"/> timestamp) ended now.</summary>
    public void RecordSync(long startTimestamp) => Record(_syncDuration, startTimestamp);

    private static void Record(Histogram<double> histogram, long startTimestamp)
    {
        if (histogram.Enabled)
        {
            histogram.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds);
        }
    }
}
