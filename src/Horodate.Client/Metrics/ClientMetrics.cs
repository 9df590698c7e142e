using System.Diagnostics.Metrics;
using Horodate.Client.Status;
using Horodate.Metrics;

namespace Horodate.Client.Metrics;

/// <summary>
/// The client's meter, <c>Horodate.Client</c>, OpenTelemetry-style: what <c>dotnet-counters monitor -n
/// horodate-client --counters Horodate.Client</c> shows. Observable instruments read one <see cref="ClientStatus"/>
/// at collection time (at most 100 ms old, shared by the instruments of one collection); the lateness histogram records only while something listens.
/// </summary>
internal sealed class ClientMetrics
{
    public const string MeterName = "Horodate.Client";

    private readonly Histogram<double> _lateness;

    public ClientMetrics(IMeterFactory factory, Func<ClientStatus> take)
    {
        var status = new RecentSnapshot<ClientStatus>(take, TimeSpan.FromMilliseconds(100)).Get;
        Meter = factory.Create(MeterName);
        Meter.CreateObservableUpDownCounter("horodate.client.connections.up", () => status().Up, "{connection}", "Connections up now.");
        Meter.CreateObservableCounter("horodate.client.reconnects", () => status().Reconnects, "{connection}", "Connections lost and brought back.");
        Meter.CreateObservableCounter("horodate.client.values.sent", () => status().Sent, "{value}", "Values handed to the kernel.");
        Meter.CreateObservableCounter("horodate.client.values.skipped", () => status().Skipped, "{value}", "Scheduled sends skipped (connection down, server not reading, clock not advanced).");
        Meter.CreateObservableCounter("horodate.client.values.resent", () => status().Resent, "{value}", "Unacknowledged values sent again after a reconnect.");
        _lateness = Meter.CreateHistogram<double>("horodate.client.send.lateness", "s", "How late each send was versus its schedule.");
    }

    public Meter Meter { get; }

    /// <summary>True while a listener wants the lateness of each send (the caller skips the work otherwise).</summary>
    public bool LatenessEnabled => _lateness.Enabled;

    public void RecordLateness(double seconds) => _lateness.Record(seconds);
}

