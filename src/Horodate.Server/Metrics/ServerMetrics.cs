using System.Diagnostics;
using System.Diagnostics.Metrics;
using Horodate.Core.Diagnostics;
using Horodate.Metrics;
using Horodate.Server.Status;

namespace Horodate.Server.Metrics;

/// <summary>
/// The server's meter, <c>Horodate.Server</c>, with OpenTelemetry-style names and units: what
/// <c>dotnet-counters monitor -n horodate-server --counters Horodate.Server</c>, an OpenTelemetry SDK or the
/// <c>--http</c> endpoint's <c>/metrics</c> read. Observable instruments read one <see cref="ServerStatus"/> at
/// collection time (at most 100 ms old, shared by the instruments of one collection); nothing is recorded per
/// value here: the durations of writes and fsyncs are the pipeline's own (<see cref="Pipeline.PipelineTimings"/>).
/// </summary>
internal sealed class ServerMetrics
{
    public const string MeterName = "Horodate.Server";

    /// <summary>
    /// Bucket bounds of <c>horodate.server.write.duration</c>, in seconds: 1-2.5-5 per decade from 10 µs to 1 s.
    /// One append carries one flush interval of values (10 ms by default: at 100,000 values/s, 1,000 lines of
    /// 14 bytes, 14 KB) into the page cache, a copy of a few microseconds, hence 10 µs first; an append blocked
    /// by dirty-page throttling or a failing disk takes up to seconds, and beyond 1 s only the count matters.
    /// </summary>
    internal static readonly double[] WriteBounds =
        [0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

    /// <summary>
    /// Bucket bounds of <c>horodate.server.sync.duration</c>, in seconds: 1-2.5-5 per decade from 100 µs to
    /// 2.5 s. An fsync of one sync interval of writes (1 s by default, about 1.4 MB at 100,000 values/s)
    /// plus its journal record takes from about 100 µs (an SSD's flush, tmpfs) to tens of milliseconds (a
    /// spinning disk, a network volume); one longer than the sync interval delays every acknowledgement, and
    /// the bounds go on to 10 × that interval to show by how much.
    /// </summary>
    internal static readonly double[] SyncBounds =
        [0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

    /// <summary>
    /// Bucket bounds of <c>horodate.server.output.lag</c>, in milliseconds. A value is written about one send
    /// interval plus one flush interval after its time (50 + 10 ms by default), and the target for a whole run
    /// is 2 × send interval + flush interval (110 ms): hence 10–40 ms steps from 40 to 200 ms, where a healthy
    /// server's lags lie and that target can be read, then doubling to 12.8 s, past what can hold the output
    /// (<c>--idle-timeout</c> 1 s, <c>--resume-grace</c> 3 s, <c>--max-delay</c> 5 s). Each bound starts a
    /// bucket of the pipeline's <see cref="LatencyHistogram"/> (5, 15 or 25 × 2^k ms, each 2^e × (1 + j/16)), so its
    /// count is exact: the values whose lag, measured in whole milliseconds, is below the bound.
    /// </summary>
    internal static readonly long[] OutputLagBoundsMs = [5, 10, 20, 40, 50, 60, 80, 100, 120, 160, 200, 400, 800, 1_600, 3_200, 6_400, 12_800];

    private static readonly double[] OutputLagBounds = [.. OutputLagBoundsMs.Select(ms => ms / 1000.0)];

    private static readonly TimeSpan SnapshotAge = TimeSpan.FromMilliseconds(100);

    private readonly RecentSnapshot<ServerStatus> _status;

    public ServerMetrics(IMeterFactory factory, StatusSource status)
    {
        _status = new RecentSnapshot<ServerStatus>(status.Take, SnapshotAge);
        Meter = factory.Create(MeterName);
        Meter.CreateObservableUpDownCounter("horodate.server.connections.active", () => Status().ConnectionsOpen, "{connection}", "Connections open now.");
        Meter.CreateObservableCounter("horodate.server.connections.accepted", () => Status().ConnectionsAccepted, "{connection}", "Connections accepted.");
        Meter.CreateObservableCounter("horodate.server.connections.refused", () => Status().ConnectionsRefused, "{connection}", "Connections refused: not allowed, or over the maximum.");
        Meter.CreateObservableCounter("horodate.server.connections.closed_idle", () => Status().ConnectionsClosedIdle, "{connection}", "Connections closed after the read timeout.");
        Meter.CreateObservableCounter("horodate.server.connections.closed_garbage", () => Status().ConnectionsClosedForGarbage, "{connection}", "Connections closed for not speaking the protocol.");
        Meter.CreateObservableCounter("horodate.server.lines.rejected", () => Status().RejectedLines, "{line}", "Lines that were not values.");
        Meter.CreateObservableCounter("horodate.server.values.received", () => Status().Ordering.Received, "{value}", "Values decoded.");
        Meter.CreateObservableCounter("horodate.server.values.written", () => Status().Written, "{value}", "Values written to the ordered output.");
        Meter.CreateObservableCounter("horodate.server.values.duplicates", () => Status().Ordering.Duplicates, "{value}", "Values dropped as already stored (dedupe).");
        Meter.CreateObservableCounter("horodate.server.values.late", () => Status().Ordering.Late, "{value}", "Values below the write point, stored in the .late file.");
        Meter.CreateObservableCounter("horodate.server.values.rejected", () => Status().Ordering.RejectedFuture, "{value}", "Values too far ahead of the clock.");
        Meter.CreateObservableCounter("horodate.server.values.resent", () => Status().Ordering.Resent, "{value}", "Values an acknowledged client sent again that were already taken.");
        Meter.CreateObservableGauge("horodate.server.values.buffered", () => Status().BufferedValues, "{value}", "Distinct values waiting for the watermark.");
        Meter.CreateObservableGauge("horodate.server.watermark.lag", () => Status().WatermarkLagMs / 1000.0, "s", "How far the write point is behind the clock.");
        Meter.CreateObservableGauge("horodate.server.output.size", () => Status().OutputBytes, "By", "Size of the ordered output file.");
        Meter.CreateObservableGauge("horodate.server.output.pending", () => Status().PendingBytes, "By", "Bytes decided but not written (non-zero while writes fail).");
        OutputLag = new PulledHistogram("horodate.server.output.lag", "s", "How long after its time each value was written.", ReadOutputLag);
    }

    public Meter Meter { get; }

    /// <summary>The output lag of every value written since the start: kept by the pipeline, not on the meter.</summary>
    public PulledHistogram OutputLag { get; }

    /// <summary>The status at most 100 ms old: one snapshot per collection, not one per instrument.</summary>
    private ServerStatus Status() => _status.Get();

    private HistogramSnapshot ReadOutputLag()
    {
        var lag = Status().Lag;
        var cumulative = new long[OutputLagBoundsMs.Length];
        for (var i = 0; i < cumulative.Length; i++)
        {
            cumulative[i] = lag.CountBelow(OutputLagBoundsMs[i]);
        }

        return new HistogramSnapshot(OutputLagBounds, cumulative, lag.Count, lag.Sum / 1000.0);
    }
}
