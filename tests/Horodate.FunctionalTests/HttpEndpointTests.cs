using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Horodate.FunctionalTests.Support;

namespace Horodate.FunctionalTests;

/// <summary>The operator's HTTP endpoint: what monitoring scrapes while clients send.</summary>
public sealed class HttpEndpointTests
{
    [Fact]
    public async Task Metrics_health_and_status_report_what_the_server_did()
    {
        using var dir = new TempDirectory();
        await using var harness = await ServerHarness.StartAsync(dir, ServerHarness.WithHttp);
        var client = await TestClient.RunFiftyAsync(harness, aligned: false, record: null, TimeSpan.FromSeconds(1.5));
        using var http = harness.CreateHttpClient();

        var metrics = await http.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
        var health = await http.GetAsync("/healthz", TestContext.Current.CancellationToken);
        using var status = JsonDocument.Parse(await http.GetStringAsync("/status", TestContext.Current.CancellationToken));

        Assert.Contains("# TYPE horodate_server_values_received_total counter", metrics);
        Assert.Contains($"horodate_server_values_received_total {client.Sent}\n", metrics);
        Assert.Contains("horodate_server_connections_accepted_total 50\n", metrics);
        Assert.Contains("# TYPE horodate_server_watermark_lag_seconds gauge", metrics);
        Assert.Contains("horodate_server_write_duration_seconds_count ", metrics); // the writer recorded its appends
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(client.Sent, status.RootElement.GetProperty("received").GetInt64());
    }

    [Fact]
    public async Task The_dashboard_is_served_from_the_assembly_and_loads_nothing_from_elsewhere()
    {
        using var dir = new TempDirectory();
        await using var harness = await ServerHarness.StartAsync(dir, ServerHarness.WithHttp);
        using var http = harness.CreateHttpClient();

        using var page = await http.GetAsync("/", TestContext.Current.CancellationToken);
        var html = await page.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var linked = Regex.Matches(html, "(?:src|href)=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToArray();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("default-src 'none'", page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Contains("dashboard/dashboard.js", linked);
        Assert.Contains("dashboard/dashboard.css", linked);
        foreach (var link in linked)
        {
            Assert.DoesNotContain("//", link); // relative: this server only, and it works behind a path prefix
            using var asset = await http.GetAsync("/" + link, TestContext.Current.CancellationToken);
            Assert.True(asset.StatusCode == HttpStatusCode.OK, $"{link}: {asset.StatusCode}");
            var text = await asset.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.Empty(Regex.Matches(text, "https?://(?!www\\.w3\\.org/2000/svg)").Select(m => m.Value)); // only the SVG namespace
        }

        using var again = new HttpRequestMessage(HttpMethod.Get, "/dashboard/dashboard.js");
        again.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Parse((await http.GetAsync("/dashboard/dashboard.js", TestContext.Current.CancellationToken)).Headers.ETag!.ToString()));
        Assert.Equal(HttpStatusCode.NotModified, (await http.SendAsync(again, TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/dashboard/secrets.txt", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task History_and_tail_give_the_dashboard_the_last_seconds_and_the_files_last_values()
    {
        using var dir = new TempDirectory();
        await using var harness = await ServerHarness.StartAsync(dir, ServerHarness.WithHttp);
        var client = await TestClient.RunFiftyAsync(harness, aligned: false, record: null, TimeSpan.FromSeconds(1.5));
        using var http = harness.CreateHttpClient();

        // A sample a second: wait for the one taken after the client's last value was counted.
        JsonElement last = default;
        Assert.True(await Within.PollAsync(async () =>
        {
            using var history = JsonDocument.Parse(await http.GetStringAsync("/history"));
            last = history.RootElement.GetProperty("samples").EnumerateArray().Last().Clone();
            return last.GetProperty("received").GetInt64() == client.Sent && last.GetProperty("connections").GetInt64() == 0;
        }, Within.Short), $"no sample counted the {client.Sent} values sent: {last}");
        using var all = JsonDocument.Parse(await http.GetStringAsync("/history?after=0", TestContext.Current.CancellationToken));
        var samples = all.RootElement.GetProperty("samples").EnumerateArray().ToArray();
        var times = samples.Select(s => s.GetProperty("time").GetInt64()).ToArray();
        using var later = JsonDocument.Parse(await http.GetStringAsync($"/history?after={times[^1]}", TestContext.Current.CancellationToken));
        await harness.StopAsync();
        using var tail = JsonDocument.Parse(await http.GetStringAsync("/tail?count=5", TestContext.Current.CancellationToken));

        Assert.Equal(Path.GetFullPath(harness.Output), all.RootElement.GetProperty("output").GetString());
        Assert.Equal(1000, all.RootElement.GetProperty("interval_ms").GetInt64());
        Assert.True(samples.Length >= 2, $"{samples.Length} samples");
        Assert.Equal(times.Order(), times);
        Assert.Contains(samples, s => s.GetProperty("connections").GetInt64() == 50);
        Assert.InRange(last.GetProperty("output_lag_p99_ms").GetInt64(), 1, 5_000); // written, within --max-delay
        Assert.All(later.RootElement.GetProperty("samples").EnumerateArray(), s => Assert.True(s.GetProperty("time").GetInt64() > times[^1]));
        Assert.Equal(harness.ReadOutput()[^5..], tail.RootElement.GetProperty("values").EnumerateArray().Select(v => v.GetInt64()));
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/tail?count=0", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/tail?count=1001", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/history?after=yesterday", TestContext.Current.CancellationToken)).StatusCode);
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

        // The client runs until its meter has been seen, however slow the machine: it is stopped then.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var run = TestClient.RunFiftyUntilStoppedAsync(harness, stop.Token);
        try
        {
            Assert.True(await Within.PollAsync(() =>
            {
                listener.RecordObservableInstruments();
                return Interlocked.Read(ref sent) > 100;
            }, Within.Short), "the client's meter never reported sends");
            Assert.True(await Within.PollAsync(() => Volatile.Read(ref lateness) > 100, Within.Short), "send lateness is not recorded while a listener is attached");
        }
        finally
        {
            await stop.CancelAsync();
        }

        await run.WaitAsync(Within.Long, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Without_http_nothing_listens()
    {
        using var dir = new TempDirectory();
        await using var harness = await ServerHarness.StartAsync(dir);

        Assert.Null(harness.Server.HttpEndpoint);
    }
}
