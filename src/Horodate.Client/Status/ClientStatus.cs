using Horodate.Core.Diagnostics;

namespace Horodate.Client.Status;

/// <summary>
/// Everything a running client counts, at one instant, as totals since its start: the client's one status model,
/// built in one place (the load client) on one clock. The status line, the live panel, the meter and the exit
/// summary (<see cref="ClientSummary"/>, <c>--json</c>) are views of it; a view that shows rates or an interval's
/// send lateness takes the difference of two snapshots (<see cref="Since"/>).
/// </summary>
public sealed record ClientStatus
{
    /// <summary>How long the client had been running.</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>Connections asked for.</summary>
    public required int Connections { get; init; }

    /// <summary>Connections up now.</summary>
    public required int Up { get; init; }

    /// <summary>True until the connect ramp is over.</summary>
    public required bool Ramping { get; init; }

    /// <summary>Values handed to the kernel, whole lines.</summary>
    public required long Sent { get; init; }

    /// <summary>Sends skipped because their connection was lost and not back yet.</summary>
    public required long SkippedDown { get; init; }

    /// <summary>Sends skipped because the socket buffer was full (the server was not reading).</summary>
    public required long SkippedBusy { get; init; }

    /// <summary>Sends skipped because the clock had not moved past the connection's previous value.</summary>
    public required long SkippedClock { get; init; }

    /// <summary>Connections lost and brought back.</summary>
    public required long Reconnects { get; init; }

    /// <summary>Connection attempts that failed.</summary>
    public required long ConnectFailures { get; init; }

    /// <summary>
    /// <c>ack</c> when the server acknowledges, <c>plain</c> when it did not answer the hello, <c>none</c> while no
    /// connection has got that far (no server reached yet), <c>off</c> with <c>--no-ack</c>.
    /// </summary>
    public required string AckMode { get; init; }

    /// <summary>Values the server acknowledged as durably stored.</summary>
    public required long Acked { get; init; }

    /// <summary>Values sent and not yet acknowledged (acknowledged mode only).</summary>
    public required long Unacked { get; init; }

    /// <summary>Unacknowledged values dropped because a connection's buffer was full (oldest first).</summary>
    public required long DroppedUnacked { get; init; }

    /// <summary>Values sent again after a reconnect because they were not acknowledged.</summary>
    public required long Resent { get; init; }

    /// <summary>How late each send was versus its schedule, in microseconds, since the start.</summary>
    public required LatencyHistogram LatenessUs { get; init; }

    /// <summary>Sends skipped for any reason.</summary>
    public long Skipped => SkippedDown + SkippedBusy + SkippedClock;

    /// <summary>What changed from <paramref name="earlier"/> (a snapshot of the same client; none: the start) to this one.</summary>
    public ClientStatusChange Since(ClientStatus? earlier) => new(
        Math.Max((Elapsed - (earlier?.Elapsed ?? TimeSpan.Zero)).TotalSeconds, 0.001),
        Sent - (earlier?.Sent ?? 0),
        earlier is null ? LatenessUs : LatenessUs.Since(earlier.LatenessUs));
}

/// <summary>The difference of two <see cref="ClientStatus"/> snapshots: what happened in between.</summary>
/// <param name="Seconds">The time between them (at least 1 ms, so that rates are finite).</param>
/// <param name="Sent">Values sent in between.</param>
/// <param name="LatenessUs">The lateness of the sends in between, in microseconds.</param>
public readonly record struct ClientStatusChange(double Seconds, long Sent, LatencyHistogram LatenessUs)
{
    /// <summary>Values sent per second in between.</summary>
    public double SentPerSecond => Sent / Seconds;
}
