using System.Text.Json.Serialization;
using Horodate.CommandLine;
using Horodate.Core.Diagnostics;

namespace Horodate.Client.Status;

/// <summary>What a client run did, printed at exit (<c>--json</c>: as this object): a view of the last <see cref="ClientStatus"/>.</summary>
public sealed record ClientSummary
{
    /// <summary>
    /// How long the client sent: from the start of the schedule (each connection sends from its first slot once it is
    /// up, so this includes the connect ramp) to the stop; in JSON <c>elapsed_s</c>, seconds.
    /// </summary>
    [JsonPropertyName("elapsed_s")]
    [JsonConverter(typeof(SecondsConverter))]
    public required TimeSpan Elapsed { get; init; }

    /// <summary>How long the connect ramp took (every connection up, or 10 s at most); in JSON <c>ramp_s</c>, seconds.</summary>
    [JsonPropertyName("ramp_s")]
    [JsonConverter(typeof(SecondsConverter))]
    public required TimeSpan Ramp { get; init; }

    /// <summary>
    /// How long the steady state lasted: from the moment every connection had come up (its hello answered, in
    /// acknowledged mode) to the stop; zero if some never did. In JSON <c>steady_s</c>, seconds. With
    /// <see cref="SteadySent"/>, the rate to judge a schedule by: during the ramp, connections not up yet send nothing.
    /// </summary>
    [JsonPropertyName("steady_s")]
    [JsonConverter(typeof(SecondsConverter))]
    public required TimeSpan Steady { get; init; }

    /// <summary>Values sent during <see cref="Steady"/>.</summary>
    public required long SteadySent { get; init; }

    /// <summary>Connections asked for.</summary>
    public required int Connections { get; init; }

    /// <summary>Connections up when the run ended.</summary>
    public required int ConnectionsUp { get; init; }

    /// <summary>Values handed to the kernel, whole lines.</summary>
    public required long Sent { get; init; }

    /// <summary>The schedule's rate: connections / interval, in values per second.</summary>
    public required double TargetRate { get; init; }

    /// <summary>Sends skipped because their connection was lost and not back yet (the initial ramp does not count).</summary>
    public required long SkippedDown { get; init; }

    /// <summary>Sends skipped because the socket buffer was full (the server was not reading).</summary>
    public required long SkippedBusy { get; init; }

    /// <summary>Sends skipped because the clock had not moved past the connection's previous value (a schedule catching up
    /// within a millisecond, or a clock stepping back): values on one connection strictly increase.</summary>
    public required long SkippedClock { get; init; }

    /// <summary>Connections lost and brought back.</summary>
    public required long Reconnects { get; init; }

    /// <summary>Connection attempts that failed.</summary>
    public required long ConnectFailures { get; init; }

    /// <summary>Median send lateness versus the schedule, in microseconds.</summary>
    public required long LatenessP50Us { get; init; }

    /// <summary>99th percentile send lateness versus the schedule, in microseconds.</summary>
    public required long LatenessP99Us { get; init; }

    /// <summary>Worst send lateness versus the schedule, in microseconds.</summary>
    public required long LatenessMaxUs { get; init; }

    /// <summary>
    /// <c>ack</c> when the server acknowledged, <c>plain</c> when it did not answer the hello, <c>none</c> when no
    /// connection got that far (no server reached), <c>off</c> with <c>--no-ack</c>.
    /// </summary>
    public required string AckMode { get; init; }

    /// <summary>Values the server acknowledged as durably stored.</summary>
    public required long Acked { get; init; }

    /// <summary>Values still unacknowledged at exit (sent, fate unknown).</summary>
    public required long Unacked { get; init; }

    /// <summary>Unacknowledged values dropped because a connection's buffer was full (oldest first).</summary>
    public required long DroppedUnacked { get; init; }

    /// <summary>Values sent again after a reconnect because they were not acknowledged.</summary>
    public required long Resent { get; init; }

    /// <summary>CPU time (user + system) the process used, in seconds.</summary>
    public required double CpuSeconds { get; init; }

    /// <summary>The process's peak resident memory, in bytes.</summary>
    public required long PeakRssBytes { get; init; }

    /// <summary>Values written to the record file, or <see langword="null"/> without <c>--record</c>.</summary>
    public long? Recorded { get; init; }

    /// <summary>
    /// Why the run failed (it sent nothing: the server could not be reached), set by the command line; absent from
    /// the JSON of a run that succeeded.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Error { get; init; }

    /// <summary>
    /// The summary of the run whose last status is <paramref name="s"/>: it sent for <paramref name="sending"/>
    /// after a connect ramp of <paramref name="ramp"/>, <paramref name="steadySent"/> of them in a steady state of
    /// <paramref name="steady"/>, at <paramref name="targetRate"/> values/s by its schedule,
    /// and recorded <paramref name="recorded"/> values; with the process's CPU time and peak memory now.
    /// </summary>
    internal static ClientSummary From(ClientStatus s, TimeSpan sending, TimeSpan ramp, TimeSpan steady, long steadySent, double targetRate, long? recorded) => new()
    {
        Elapsed = sending,
        Ramp = ramp,
        Steady = steady,
        SteadySent = steadySent,
        Connections = s.Connections,
        ConnectionsUp = s.Up,
        Sent = s.Sent,
        TargetRate = targetRate,
        SkippedDown = s.SkippedDown,
        SkippedBusy = s.SkippedBusy,
        SkippedClock = s.SkippedClock,
        Reconnects = s.Reconnects,
        ConnectFailures = s.ConnectFailures,
        LatenessP50Us = s.LatenessUs.Percentile(50),
        LatenessP99Us = s.LatenessUs.Percentile(99),
        LatenessMaxUs = s.LatenessUs.Max,
        AckMode = s.AckMode,
        Acked = s.Acked,
        Unacked = s.Unacked,
        DroppedUnacked = s.DroppedUnacked,
        Resent = s.Resent,
        CpuSeconds = ProcessStats.CpuSeconds(),
        PeakRssBytes = ProcessStats.PeakRssBytes(),
        Recorded = recorded,
    };
}
