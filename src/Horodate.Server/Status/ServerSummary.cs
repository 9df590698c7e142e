using System.Text.Json.Serialization;
using Horodate.CommandLine;
using Horodate.Core.Diagnostics;

namespace Horodate.Server.Status;

/// <summary>
/// What a server did over its life, printed at exit and returned by <see cref="Hosting.HorodateServer.StopAsync"/>;
/// <c>/status</c> serves it while the server runs. A view of one <see cref="ServerStatus"/>, plus the process's
/// CPU time and memory.
/// </summary>
public sealed record ServerSummary
{
    /// <summary>How long the server ran; in JSON <c>uptime_s</c>, seconds.</summary>
    [JsonPropertyName("uptime_s")]
    [JsonConverter(typeof(SecondsConverter))]
    public required TimeSpan Uptime { get; init; }

    /// <summary>Connections accepted over the run.</summary>
    public required long ConnectionsAccepted { get; init; }

    /// <summary>Connections closed because they did not speak the protocol.</summary>
    public required long ConnectionsClosedForGarbage { get; init; }

    /// <summary>Connections refused at accept: not in <c>--allow</c>, or over <c>--max-connections</c>.</summary>
    public required long ConnectionsRefused { get; init; }

    /// <summary>Connections closed after staying silent past <c>--read-timeout</c>.</summary>
    public required long ConnectionsClosedIdle { get; init; }

    /// <summary>Values decoded from the connections.</summary>
    public required long Received { get; init; }

    /// <summary>Values written to the ordered output file by this run.</summary>
    public required long Written { get; init; }

    /// <summary>Values dropped because already stored or buffered (dedupe mode).</summary>
    public required long Duplicates { get; init; }

    /// <summary>Values stored in the late side file.</summary>
    public required long Late { get; init; }

    /// <summary>Values acknowledged clients sent again that were already taken: dropped, not doubled.</summary>
    public required long Resent { get; init; }

    /// <summary>Lines that were not values.</summary>
    public required long RejectedLines { get; init; }

    /// <summary>Values too far ahead of the server's clock.</summary>
    public required long RejectedFuture { get; init; }

    /// <summary>Values received after the final write of a stop, from connections cut by the shutdown timeout.</summary>
    public required long DroppedAtStop { get; init; }

    /// <summary>Writes that failed (a full disk, an I/O error) and were retried.</summary>
    public required long WriteErrors { get; init; }

    /// <summary>Bytes left unwritten because the file could not be written (0 unless the disk failed to the end).</summary>
    public required long Unwritten { get; init; }

    /// <summary>The output file's size at the end.</summary>
    public required long OutputBytes { get; init; }

    /// <summary>Median output lag (clock at write minus value) over the whole run, in milliseconds.</summary>
    public required long LagP50Ms { get; init; }

    /// <summary>99th percentile of the output lag, in milliseconds.</summary>
    public required long LagP99Ms { get; init; }

    /// <summary>The largest output lag, in milliseconds.</summary>
    public required long LagMaxMs { get; init; }

    /// <summary>CPU time (user + system) the process used, in seconds.</summary>
    public required double CpuSeconds { get; init; }

    /// <summary>The process's peak resident memory, in bytes.</summary>
    public required long PeakRssBytes { get; init; }

    /// <summary>The summary of <paramref name="s"/>, with the process's CPU time and peak memory now.</summary>
    internal static ServerSummary From(ServerStatus s) => new()
    {
        Uptime = s.Uptime,
        ConnectionsAccepted = s.ConnectionsAccepted,
        ConnectionsClosedForGarbage = s.ConnectionsClosedForGarbage,
        ConnectionsRefused = s.ConnectionsRefused,
        ConnectionsClosedIdle = s.ConnectionsClosedIdle,
        Received = s.Ordering.Received,
        Written = s.Written,
        Duplicates = s.Ordering.Duplicates,
        Late = s.Ordering.Late,
        Resent = s.Ordering.Resent,
        RejectedLines = s.RejectedLines,
        RejectedFuture = s.Ordering.RejectedFuture,
        DroppedAtStop = s.DroppedAtStop,
        Unwritten = s.PendingBytes,
        WriteErrors = s.WriteErrors,
        OutputBytes = s.OutputBytes,
        LagP50Ms = s.Lag.Percentile(50),
        LagP99Ms = s.Lag.Percentile(99),
        LagMaxMs = s.Lag.Max,
        CpuSeconds = ProcessStats.CpuSeconds(),
        PeakRssBytes = ProcessStats.PeakRssBytes(),
    };
}
