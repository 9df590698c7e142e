namespace Horodate.Server.Diagnostics;

/// <summary>
/// A histogram that the meter cannot carry because it is aggregated elsewhere (the pipeline's output lag is
/// kept per batch, not recorded per value), named like an instrument (OpenTelemetry name and unit) and read
/// at each collection.
/// </summary>
internal sealed record PulledHistogram(string Name, string Unit, string Description, Func<HistogramSnapshot> Read);

/// <summary>
/// A histogram at one instant, as Prometheus shows it: <see cref="Cumulative"/>[i] values at or below
/// <see cref="Bounds"/>[i] (ascending), <see cref="Count"/> values in all, <see cref="Sum"/> their total.
/// </summary>
internal sealed record HistogramSnapshot(IReadOnlyList<double> Bounds, IReadOnlyList<long> Cumulative, long Count, double Sum);
