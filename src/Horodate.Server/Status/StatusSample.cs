namespace Horodate.Server.Status;

/// <summary>
/// One second of the server's life, as the dashboard charts it. Counters are totals since the start (the page
/// turns two samples into a rate), so a missed or late sample loses no count.
/// </summary>
internal sealed record StatusSample
{
    /// <summary>When the sample was taken, in Unix milliseconds.</summary>
    public required long Time { get; init; }

    public required long Connections { get; init; }

    public required long Received { get; init; }

    public required long Written { get; init; }

    /// <summary>The clock minus the write point, in ms; null while no source is open (idle, nothing to hold).</summary>
    public required long? WatermarkLagMs { get; init; }

    /// <summary>99th percentile of the output lag (clock at write minus value) since the start, in ms; 0 before any write.</summary>
    public required long OutputLagP99Ms { get; init; }

    public required long Duplicates { get; init; }

    public required long Late { get; init; }

    /// <summary>Lines that were not values, and values too far ahead of the clock.</summary>
    public required long Rejected { get; init; }

    public required long Refused { get; init; }

    public required long OutputBytes { get; init; }

    /// <summary>True while writes fail (a full disk): the transports have stopped reading.</summary>
    public required bool WriteFailing { get; init; }

    /// <summary>The dashboard's view of <paramref name="s"/>.</summary>
    public static StatusSample From(ServerStatus s) => new()
    {
        Time = s.Time,
        Connections = s.ConnectionsOpen,
        Received = s.Ordering.Received,
        Written = s.Written,
        WatermarkLagMs = s.OpenSources > 0 ? s.WatermarkLagMs : null,
        OutputLagP99Ms = s.Lag.Percentile(99),
        Duplicates = s.Ordering.Duplicates,
        Late = s.Ordering.Late,
        Rejected = s.Rejected,
        Refused = s.ConnectionsRefused,
        OutputBytes = s.OutputBytes,
        WriteFailing = s.WriteFailing,
    };
}
