using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Horodate.Server.Http;

/// <summary>
/// Renders one <see cref="Meter"/> in the Prometheus text format (0.0.4): counters as <c>_total</c>, gauges and
/// up-down counters as gauges, histograms as summaries (<c>_sum</c>, <c>_count</c>). Names follow the
/// OpenTelemetry-to-Prometheus convention: dots become underscores, the unit becomes a suffix (<c>s</c> →
/// <c>_seconds</c>, <c>By</c> → <c>_bytes</c>). Listens to that meter instance only.
/// </summary>
internal sealed class PrometheusExporter : IDisposable
{
    private readonly Meter _meter;
    private readonly MeterListener _listener = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<Instrument, double> _values = [];
    private readonly Dictionary<Instrument, (double Sum, long Count)> _histograms = [];

    public PrometheusExporter(Meter meter)
    {
        _meter = meter;
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
        var text = new StringBuilder();
        lock (_gate)
        {
            foreach (var (instrument, value) in _values.OrderBy(p => p.Key.Name, StringComparer.Ordinal))
            {
                var counter = instrument.GetType().Name.StartsWith("ObservableCounter", StringComparison.Ordinal);
                var name = Name(instrument) + (counter ? "_total" : "");
                Header(text, name, instrument, counter ? "counter" : "gauge");
                text.Append(CultureInfo.InvariantCulture, $"{name} {value}\n");
            }

            foreach (var (instrument, (sum, count)) in _histograms.OrderBy(p => p.Key.Name, StringComparer.Ordinal))
            {
                var name = Name(instrument);
                Header(text, name, instrument, "summary");
                text.Append(CultureInfo.InvariantCulture, $"{name}_sum {sum}\n{name}_count {count}\n");
            }
        }

        return text.ToString();
    }

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value)
    {
        lock (_gate)
        {
            if (instrument is Histogram<double>)
            {
                var (sum, count) = _histograms.GetValueOrDefault(instrument);
                _histograms[instrument] = (sum + value, count + 1);
            }
            else
            {
                _values[instrument] = value; // an observable instrument's latest observation
            }
        }
    }

    private static void Header(StringBuilder text, string name, Instrument instrument, string type) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {instrument.Description}\n# TYPE {name} {type}\n");

    private static string Name(Instrument instrument)
    {
        var name = instrument.Name.Replace('.', '_');
        return instrument.Unit switch
        {
            "s" => name + "_seconds",
            "By" => name + "_bytes",
            _ => name,
        };
    }
}
