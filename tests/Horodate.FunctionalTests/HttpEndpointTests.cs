using System.Net;
using System.Text.Json;
using Horodate.FunctionalTests.Support;

namespace Horodate.FunctionalTests;

/// <summary>The operator's HTTP endpoint: what monitoring scrapes while clients send.</summary>
public sealed class HttpEndpointTests
{
    [Fact]
    public async Task Metrics_health_and_status_report_what_the_server_did()
    {
        using var dir = new TempDirectory();
        await using var harness = await ServerHarness.StartAsync(dir, o => o with { Http = new IPEndPoint(IPAddress.Loopback, 0) });
        var client = await EndToEndTests.RunClientAsync(harness, aligned: false, record: null, TimeSpan.FromSeconds(1.5));
        using var http = new HttpClient { BaseAddress = new Uri($"http://{harness.Server.HttpEndpoint}"), Timeout = Within.Short };

        var metrics = await http.GetStringAsync("/metrics");
        var health = await http.GetAsync("/healthz");
        using var status = JsonDocument.Parse(await http.GetStringAsync("/status"));

        Assert.Contains("# TYPE horodate_server_values_received_total counter", metrics);
        Assert.Contains($"horodate_server_values_received_total {client.Sent}\n", metrics);
        Assert.Contains("horodate_server_connections_accepted_total 50\n", metrics);
        Assert.Contains("# TYPE horodate_server_watermark_lag_seconds gauge", metrics);
        Assert.Contains("horodate_server_write_duration_seconds_count ", metrics); // the writer recorded its appends
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(client.Sent, status.RootElement.GetProperty("received").GetInt64());
    }

    [Fact]
    public async Task The_client_meter_reports_its_sends_while_it_runs()
    {
        using var dir = new TempDirectory();
        await using var harness = await ServerHarness.StartAsync(dir);
        long sent = 0;
        var lateness = 0;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Horodate.Client")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "horodate.client.values.sent")
            {
                Interlocked.Exchange(ref sent, value);
            }
        });
        listener.SetMeasurementEventCallback<double>((instrument, _, _, _) =>
        {
            if (instrument.Name == "horodate.client.send.lateness")
            {
                Interlocked.Increment(ref lateness);
            }
        });
        listener.Start();

        var run = EndToEndTests.RunClientAsync(harness, aligned: false, record: null, TimeSpan.FromSeconds(2));
        Assert.True(await Within.PollAsync(() =>
        {
            listener.RecordObservableInstruments();
            return Interlocked.Read(ref sent) > 100;
        }, Within.Short), "the client's meter never reported sends");
        await run.WaitAsync(Within.Long);

        Assert.True(Volatile.Read(ref lateness) > 100, "send lateness is recorded while a listener is attached");
    }

    [Fact]
    public async Task Without_http_nothing_listens()
    {
        using var dir = new TempDirectory();
        await using var harness = await ServerHarness.StartAsync(dir);

        Assert.Null(harness.Server.HttpEndpoint);
    }
}
