using Horodate.Core.Diagnostics;
using Horodate.Core.Ordering;

namespace Horodate.Server.Pipeline;

/// <summary>A consistent snapshot of the <see cref="IngestPipeline"/>, for status lines and the summary.</summary>
internal sealed record PipelineStatus
{
    public required OrderingCounters Counters { get; init; }

    public required int OpenSources { get; init; }

    public required int ActiveSources { get; init; }

    /// <summary>The lowest value that can still be written in order.</summary>
    public required long Floor { get; init; }

    /// <summary>The watermark lag: how far the write point is behind <paramref name="nowMs"/> (Unix ms), never negative.</summary>
    public long WatermarkLagMs(long nowMs) => Math.Max(0, nowMs - Floor);

    public required long BufferedValues { get; init; }

    /// <summary>Ordered values that reached the file.</summary>
    public required long WrittenValues { get; init; }

    /// <summary>Late values that reached the side file.</summary>
    public required long LateWritten { get; init; }

    public required long OutputBytes { get; init; }

    /// <summary>Bytes decided but not yet in a file (non-zero while writes fail).</summary>
    public required long PendingBytes { get; init; }

    public required long WriteErrors { get; init; }

    /// <summary>Values that arrived after the final drain of a stop (cut connections): not stored.</summary>
    public required long DroppedAtStop { get; init; }

    /// <summary>Output lag of the values written since the previous snapshot that asked for it, in ms.</summary>
    public required LatencyHistogram Lag { get; init; }

    /// <summary>Output lag of every value written since the start, in ms.</summary>
    public required LatencyHistogram RunLag { get; init; }
}
