using Horodate.Server.Pipeline;

namespace Horodate.Server.Status;

/// <summary>
/// Where <see cref="ServerStatus"/> snapshots are made: the pipeline's counts (one lock), the connection
/// counters, and the time, all read from one <see cref="TimeProvider"/>. Every view asks here.
/// </summary>
internal sealed class StatusSource
{
    private readonly IngestPipeline _pipeline;
    private readonly ServerCounters _counters;
    private readonly TimeProvider _time;
    private readonly long _started;

    public StatusSource(IngestPipeline pipeline, ServerCounters counters, TimeProvider time)
    {
        _pipeline = pipeline;
        _counters = counters;
        _time = time;
        _started = time.GetTimestamp();
        StartedAt = time.GetUtcNow().ToUnixTimeMilliseconds();
    }

    /// <summary>When the server started, in Unix ms.</summary>
    public long StartedAt { get; }

    /// <summary>A snapshot now.</summary>
    public ServerStatus Take()
    {
        var s = _pipeline.Snapshot();
        return new ServerStatus
        {
            Time = _time.GetUtcNow().ToUnixTimeMilliseconds(),
            Uptime = _time.GetElapsedTime(_started),
            ConnectionsAccepted = _counters.Accepted,
            ConnectionsOpen = _counters.Open,
            ConnectionsRefused = _counters.Refused,
            ConnectionsClosedIdle = _counters.ClosedIdle,
            ConnectionsClosedForGarbage = _counters.ClosedForGarbage,
            RejectedLines = _counters.RejectedLines,
            Ordering = s.Counters,
            OpenSources = s.OpenSources,
            ActiveSources = s.ActiveSources,
            Floor = s.Floor,
            BufferedValues = s.BufferedValues,
            Written = s.Writer.WrittenValues,
            OutputBytes = s.Writer.OutputBytes,
            PendingBytes = s.Writer.PendingBytes,
            WriteErrors = s.Writer.WriteErrors,
            DroppedAtStop = s.DroppedAtStop,
            WriteFailing = _pipeline.Backpressured,
            Lag = s.Writer.RunLag,
        };
    }
}
