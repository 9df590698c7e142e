using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Horodate.Server.Diagnostics;

namespace Horodate.Server.Http;

/// <summary>
/// Renders one <see cref="Meter"/> in the Prometheus text format (0.0.4): counters as <c>_total</c>, gauges and
/// up-down counters as gauges, histograms as histograms (<c>_bucket{le=...}</c>, <c>_sum</c>, <c>_count</c>)
/// over the bucket boundaries each instrument advises (<see cref="InstrumentAdvice{T}"/>), plus the
/// <see cref="PulledHistogram"/>s aggregated elsewhere. Names follow the OpenTelemetry-to-Prometheus
/// convention: dots become underscores, the unit becomes a suffix (<c>s</c> → <c>_seconds</c>, <c>By</c> →
/// <c>_bytes</c>). Listens to that meter instance only.
/// </summary>
internal sealed class PrometheusExporter : IDisposable
{
    /// <summary>The OpenTelemetry SDK's default boundaries, for a histogram that advises none.</summary>
    private static readonly double[] DefaultBounds = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1_000, 2_500, 5_000, 7_500, 10_000];

    private readonly Meter _meter;
    private readonly IReadOnlyList<PulledHistogram> _pulled;
    private readonly MeterListener _listener = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<Instrument, double> _values = [];
    private readonly Dictionary<Instrument, Aggregate> _histograms = [];

    public PrometheusExporter(Meter meter, params IReadOnlyList<PulledHistogram> pulled)
    {
        _meter = meter;
        _pulled = pulled;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, _meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, _, _) => Record(i, v));
        _listener.SetMeasurementEventCallback<int>((i, v, _, _) => Record(i, v));
        _listener.SetMeasurementEventCallback<double>((i, v, _, _) => Record(i, v));
        _listener.Start();
    }

    public string Render()
    {
        _listener.RecordObservableInstruments(); // the observable instruments report now, synchronously
        var histograms = _pulled.Select(p => (Name: Name(p.Name, p.Unit), Description: (string?)p.Description, Snapshot: p.Read())).ToList();
        var text = new StringBuilder();
        lock (_gate)
        {
            foreach (var (instrument, value) in _values.OrderBy(p => p.Key.Name, StringComparer.Ordinal))
            {
                var counter = instrument.GetType().Name.StartsWith("ObservableCounter", StringComparison.Ordinal);
                var name = Name(instrument.Name, instrument.Unit) + (counter ? "_total" : "");
                Header(text, name, instrument.Description, counter ? "counter" : "gauge");
                text.Append(CultureInfo.InvariantCulture, $"{name} {value}\n");
            }

            histograms.AddRange(_histograms.Select(p => (Name(p.Key.Name, p.Key.Unit), p.Key.Description, p.Value.Snapshot())));
        }

        foreach (var (name, description, snapshot) in histograms.OrderBy(h => h.Name, StringComparer.Ordinal))
        {
            Header(text, name, description, "histogram");
            for (var i = 0; i < snapshot.Bounds.Count; i++)
            {
                text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{le=\"{Bound(snapshot.Bounds[i])}\"}} {snapshot.Cumulative[i]}\n");
            }

            text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{le=\"+Inf\"}} {snapshot.Count}\n");
            text.Append(CultureInfo.InvariantCulture, $"{name}_sum {snapshot.Sum}\n{name}_count {snapshot.Count}\n");
        }

        return text.ToString();
    }

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value)
    {
        lock (_gate)
        {
            if (instrument is Histogram<double> histogram)
            {
                if (!_histograms.TryGetValue(instrument, out var aggregate))
                {
                    aggregate = new Aggregate(histogram.Advice?.HistogramBucketBoundaries ?? DefaultBounds);
                    _histograms.Add(instrument, aggregate);
                }

                aggregate.Record(value);
            }
            else
            {
                _values[instrument] = value; // an observable instrument's latest observation
            }
        }
    }

    private static void Header(StringBuilder text, string name, string? description, string type) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {description}\n# TYPE {name} {type}\n");

    private static string Name(string name, string? unit)
    {
        name = name.Replace('.', '_');
        return unit switch
        {
            "s" => name + "_seconds",
            "By" => name + "_bytes",
            _ => name,
        };
    }

    /// <summary>A bucket bound as people write it: <c>0.00025</c>, not <c>0.00025000000000000006</c> or <c>2.5E-04</c>.</summary>
    private static string Bound(double bound) => bound.ToString("0.###############", CultureInfo.InvariantCulture);

    /// <summary>One histogram's buckets (each value in the first whose bound is at or above it), sum and count.</summary>
    private sealed class Aggregate(IReadOnlyList<double> bounds)
    {
        private readonly double[] _bounds = [.. bounds];
        private readonly long[] _buckets = new long[bounds.Count + 1]; // the last: above every bound
        private double _sum;
        private long _count;

        public void Record(double value)
        {
            var bucket = Array.BinarySearch(_bounds, value);
            _buckets[bucket >= 0 ? bucket : ~bucket]++;
            _sum += value;
            _count++;
        }

        public HistogramSnapshot Snapshot()
        {
            var cumulative = new long[_bounds.Length];
            long below = 0;
            for (var i = 0; i < cumulative.Length; i++)
            {
                below += _buckets[i];
                cumulative[i] = below;
            }

            return new HistogramSnapshot(_bounds, cumulative, _count, _sum);
        }
    }
}
