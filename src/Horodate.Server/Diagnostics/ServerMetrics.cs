using System.Diagnostics;
using System.Diagnostics.Metrics;
using Horodate.Server.Pipeline;

namespace Horodate.Server.Diagnostics;

/// <summary>
/// The server's meter, <c>Horodate.Server</c>, with OpenTelemetry-style names and units: what
/// <c>dotnet-counters monitor -n horodate-server --counters Horodate.Server</c>, an OpenTelemetry SDK or the
/// <c>--http</c> endpoint's <c>/metrics</c> read. Observable instruments read one cached snapshot at
/// collection time; nothing is recorded per value.
/// </summary>
internal sealed class ServerMetrics
{
    public const string MeterName = "Horodate.Server";

    private static readonly TimeSpan SnapshotAge = TimeSpan.FromMilliseconds(100);

    private readonly IngestPipeline _pipeline;
    private readonly Histogram<double> _writeDuration;
    private readonly Histogram<double> _syncDuration;
    private readonly Lock _gate = new();
    private PipelineStatus? _snapshot;
    private long _snapshotAt;

    public ServerMetrics(IMeterFactory factory, IngestPipeline pipeline, ServerCounters counters)
    {
        _pipeline = pipeline;
        Meter = factory.Create(MeterName);
        Meter.CreateObservableUpDownCounter("horodate.server.connections.active", () => counters.Open, "{connection}", "Connections open now.");
        Meter.CreateObservableCounter("horodate.server.connections.accepted", () => counters.Accepted, "{connection}", "Connections accepted.");
        Meter.CreateObservableCounter("horodate.server.connections.refused", () => counters.Refused, "{connection}", "Connections refused: not allowed, or over the maximum.");
        Meter.CreateObservableCounter("horodate.server.connections.closed_idle", () => counters.ClosedIdle, "{connection}", "Connections closed after the read timeout.");
        Meter.CreateObservableCounter("horodate.server.connections.closed_garbage", () => counters.ClosedForGarbage, "{connection}", "Connections closed for not speaking the protocol.");
        Meter.CreateObservableCounter("horodate.server.lines.rejected", () => counters.RejectedLines, "{line}", "Lines that were not values.");
        Meter.CreateObservableCounter("horodate.server.values.received", () => Status().Counters.Received, "{value}", "Values decoded.");
        Meter.CreateObservableCounter("horodate.server.values.written", () => Status().WrittenValues, "{value}", "Values written to the ordered output.");
        Meter.CreateObservableCounter("horodate.server.values.duplicates", () => Status().Counters.Duplicates, "{value}", "Values dropped as already stored (dedupe).");
        Meter.CreateObservableCounter("horodate.server.values.late", () => Status().Counters.Late, "{value}", "Values below the write point, stored in the .late file.");
        Meter.CreateObservableCounter("horodate.server.values.rejected", () => Status().Counters.RejectedFuture, "{value}", "Values too far ahead of the clock.");
        Meter.CreateObservableCounter("horodate.server.values.resent", () => Status().Counters.Resent, "{value}", "Values an acknowledged client sent again that were already taken.");
        Meter.CreateObservableGauge("horodate.server.values.buffered", () => Status().BufferedValues, "{value}", "Distinct values waiting for the watermark.");
        Meter.CreateObservableGauge("horodate.server.watermark.lag", WatermarkLag, "s", "How far the write point is behind the clock.");
        Meter.CreateObservableGauge("horodate.server.output.size", () => Status().OutputBytes, "By", "Size of the ordered output file.");
        Meter.CreateObservableGauge("horodate.server.output.pending", () => Status().PendingBytes, "By", "Bytes decided but not written (non-zero while writes fail).");
        _writeDuration = Meter.CreateHistogram<double>("horodate.server.write.duration", "s", "Duration of each append to the output file.");
        _syncDuration = Meter.CreateHistogram<double>("horodate.server.sync.duration", "s", "Duration of each fsync (and journal record).");
    }

    public Meter Meter { get; }

    public void RecordWrite(long startTimestamp)
    {
        if (_writeDuration.Enabled)
        {
            _writeDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds);
        }
    }

    public void RecordSync(long startTimestamp)
    {
        if (_syncDuration.Enabled)
        {
            _syncDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds);
        }
    }

    /// <summary>A snapshot at most 100 ms old: one pipeline lock per collection, not one per instrument.</summary>
    public PipelineStatus Status()
    {
        lock (_gate)
        {
            if (_snapshot is null || Stopwatch.GetElapsedTime(_snapshotAt) > SnapshotAge)
            {
                _snapshot = _pipeline.Snapshot(takeLag: false);
                _snapshotAt = Stopwatch.GetTimestamp();
            }

            return _snapshot;
        }
    }

    private double WatermarkLag() => Status().WatermarkLagMs(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()) / 1000.0;
}
