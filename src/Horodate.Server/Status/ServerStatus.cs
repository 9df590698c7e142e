using Horodate.Core.Diagnostics;
using Horodate.Core.Ordering;

namespace Horodate.Server.Status;

/// <summary>
/// Everything the server counts, at one instant, as totals since the start: the one status model. Built in one
/// place (<see cref="StatusSource"/>) on one clock; every view is made from it: the exit summary and
/// <c>/status</c> (<see cref="ServerSummary"/>), the dashboard's <c>/history</c> (<see cref="StatusSample"/>), the
/// meter behind <c>/metrics</c>, the status line and the live panel. A view that shows rates or an interval's lag
/// takes the difference of two snapshots (<see cref="Since"/>); reading one takes nothing away from another reader.
/// </summary>
internal sealed record ServerStatus
{
    /// <summary>When the snapshot was taken, in Unix milliseconds (the server's clock).</summary>
    public required long Time { get; init; }

    /// <summary>How long the server had been running (the same clock, monotonic).</summary>
    public required TimeSpan Uptime { get; init; }

    public required long ConnectionsAccepted { get; init; }

    public required long ConnectionsOpen { get; init; }

    /// <summary>Connections refused at accept: not allowed, or over the maximum.</summary>
    public required long ConnectionsRefused { get; init; }

    /// <summary>Connections closed because they stayed silent past the read timeout.</summary>
    public required long ConnectionsClosedIdle { get; init; }

    /// <summary>Connections closed because they did not speak the protocol.</summary>
    public required long ConnectionsClosedForGarbage { get; init; }

    /// <summary>Lines that were not values.</summary>
    public required long RejectedLines { get; init; }

    /// <summary>What the ordering engine received, wrote, dropped and refused.</summary>
    public required OrderingCounters Ordering { get; init; }

    /// <summary>Connections registered with the engine, and those of them that sent recently.</summary>
    public required int OpenSources { get; init; }

    public required int ActiveSources { get; init; }

    /// <summary>The lowest value that can still be written in order (the write point).</summary>
    public required long Floor { get; init; }

    /// <summary>Distinct values waiting for the watermark.</summary>
    public required long BufferedValues { get; init; }

    /// <summary>Ordered values that reached the file.</summary>
    public required long Written { get; init; }

    public required long OutputBytes { get; init; }

    /// <summary>Bytes decided but not yet in a file (non-zero while writes fail).</summary>
    public required long PendingBytes { get; init; }

    public required long WriteErrors { get; init; }

    /// <summary>Values that arrived after the final drain of a stop (cut connections): not stored.</summary>
    public required long DroppedAtStop { get; init; }

    /// <summary>True while writes fail (a full disk): the transports have stopped reading.</summary>
    public required bool WriteFailing { get; init; }

    /// <summary>The output lag (clock at write minus value) of every value written since the start, in ms.</summary>
    public required LatencyHistogram Lag { get; init; }

    /// <summary>What the status line, the live panel and the dashboard call rejected: lines that were not values,
    /// plus values too far ahead of the clock.</summary>
    public long Rejected => RejectedLines + Ordering.RejectedFuture;

    /// <summary>How far the write point is behind <see cref="Time"/>, in ms, never negative.</summary>
    public long WatermarkLagMs => Math.Max(0, Time - Floor);

    /// <summary>What changed from <paramref name="earlier"/> (a snapshot of the same server) to this one.</summary>
    public StatusChange Since(ServerStatus earlier) => new(
        Math.Max((Uptime - earlier.Uptime).TotalSeconds, 0.001),
        Ordering.Received - earlier.Ordering.Received,
        Written - earlier.Written,
        Lag.Since(earlier.Lag));
}

/// <summary>The difference of two <see cref="ServerStatus"/> snapshots: what happened in between.</summary>
/// <param name="Seconds">The time between them (at least 1 ms, so that rates are finite).</param>
/// <param name="Received">Values decoded in between.</param>
/// <param name="Written">Ordered values written in between.</param>
/// <param name="Lag">The output lag of the values written in between, in ms.</param>
internal readonly record struct StatusChange(double Seconds, long Received, long Written, LatencyHistogram Lag)
{
    public double ReceivedPerSecond => Received / Seconds;

    public double WrittenPerSecond => Written / Seconds;
}
