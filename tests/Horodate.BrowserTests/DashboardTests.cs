using Horodate.BrowserTests.Support;
using Horodate.Client.Status;
using Microsoft.Playwright;

namespace Horodate.BrowserTests;

/// <summary>
/// The dashboard as an operator sees it: a real Chromium on a real server's <c>--http</c> endpoint while a real
/// client sends over loopback.
/// </summary>
public sealed class DashboardTests(Chromium chromium) : IClassFixture<Chromium>
{
    private const int Connections = 20;

    [Fact]
    public async Task The_dashboard_loads_and_its_numbers_move_while_a_client_runs()
    {
        using var dir = new TempDirectory();
        await using var harness = await ServerHarness.StartAsync(dir, ServerHarness.WithHttp);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var client = RunClientAsync(harness, stop.Token);
        await using var browser = await chromium.OpenAsync(DashboardUrl(harness));
        var page = browser.Page;

        // Everyone connected, values flowing, the state pill says so.
        await browser.WaitForValueAsync("connections", "===", Connections);
        await browser.WaitForValueAsync("in-rate", ">", 0);
        await browser.WaitUntilAsync("() => document.getElementById('state').dataset.state === 'live'");
        var received = (await browser.ValueAsync("received"))!.Value;
        var size = (await browser.ValueAsync("file-size"))!.Value;

        // The numbers move while the client runs: the totals grow, the lines of the charts get longer.
        await browser.WaitForValueAsync("received", ">", received);
        await browser.WaitForValueAsync("file-size", ">", size);
        await browser.WaitUntilAsync("() => Number(document.querySelector('#chart-rates path[data-series=\"in\"]').dataset.points) >= 2");
        var tailBefore = await TailAsync(page);
        await browser.WaitUntilAsync("([last]) => Number(document.querySelector('#tail tr:last-child td').textContent) > last", new object[] { tailBefore[^1] });
        var tailAfter = await TailAsync(page);
        var watermark = await browser.ValueAsync("lag");
        var pill = await page.Locator("#state").TextContentAsync();
        await SaveScreenshotAsync(page, "dashboard-live");

        await stop.CancelAsync();
        var sent = (await client.WaitAsync(Within.Long, TestContext.Current.CancellationToken)).Sent;
        await harness.StopAsync();
        var file = harness.ReadOutput();

        Assert.Equal("live", pill);
        Assert.Equal(tailAfter.Order(), tailAfter);
        Assert.Equal(20, tailAfter.Length);
        Assert.Subset(file.ToHashSet(), tailAfter.ToHashSet()); // the tail shows values that are in the file
        Assert.InRange(watermark!.Value, 0, 5_000);              // never more than --max-delay behind
        Assert.Contains(Path.GetFullPath(harness.Output), await page.Locator("#where").TextContentAsync());
        Assert.True(sent > received, $"the client sent {sent}; the page had already shown {received}");
        Assert.Empty(browser.Errors);
    }

    [Fact]
    public async Task A_page_opened_late_draws_the_minutes_before_it_and_the_window_buttons_change_the_axis()
    {
        using var dir = new TempDirectory();
        await using var harness = await ServerHarness.StartAsync(dir, ServerHarness.WithHttp);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var client = RunClientAsync(harness, stop.Token);
        Assert.True(await Within.PollAsync(() => harness.Server.Summary.Received > Connections * 40, Within.Short), "the client never got going");
        await stop.CancelAsync();
        await client.WaitAsync(Within.Long, TestContext.Current.CancellationToken);

        await using var browser = await chromium.OpenAsync(DashboardUrl(harness));
        await browser.WaitForValueAsync("received", ">", 0);
        await browser.WaitForValueAsync("connections", "===", 0); // a sample taken after everyone left
        var points = await browser.Page.Locator("#chart-connections path").GetAttributeAsync("data-points");
        var legend = await browser.Page.Locator("#chart-connections .legend").TextContentAsync();
        await browser.Page.GetByRole(AriaRole.Button, new() { Name = "1 min" }).ClickAsync();
        var axis = await browser.Page.Locator("#chart-lag svg text").AllTextContentsAsync();

        Assert.True(int.Parse(points!) >= 2, $"the connections chart drew {points} points from the history");
        Assert.Equal("open 0", legend); // the latest value ...
        Assert.Contains(await browser.Page.Locator("#chart-connections svg text").AllTextContentsAsync(), t => t == Connections.ToString()); // ... and the axis still reaches the peak
        Assert.Contains("−30 s", axis);
        Assert.Equal("true", await browser.Page.GetByRole(AriaRole.Button, new() { Name = "1 min" }).GetAttributeAsync("aria-pressed"));
        Assert.Equal("idle", await browser.Page.Locator("#state").GetAttributeAsync("data-state"));
        Assert.Empty(browser.Errors);
    }

    [Fact]
    public async Task The_dashboard_says_so_when_the_server_goes_away_and_keeps_the_last_figures()
    {
        using var dir = new TempDirectory();
        var harness = await ServerHarness.StartAsync(dir, ServerHarness.WithHttp);
        await using var browser = await chromium.OpenAsync(DashboardUrl(harness));
        await browser.WaitUntilAsync("() => document.getElementById('state').dataset.state === 'idle'");

        await harness.DisposeAsync();
        await browser.WaitUntilAsync("() => document.getElementById('state').dataset.state === 'unreachable'");

        Assert.Equal("0", await browser.Page.Locator("#connections").GetAttributeAsync("data-value"));
        Assert.Contains("Last update failed", await browser.Page.Locator("#error").TextContentAsync());
        Assert.All(browser.Errors, e => Assert.Contains("Failed to load resource", e)); // the refused requests, nothing else
    }

    [Fact]
    public async Task After_a_restart_on_the_same_port_the_dashboard_starts_its_history_again()
    {
        using var dir = new TempDirectory();
        var first = await ServerHarness.StartAsync(dir, ServerHarness.WithHttp);
        var http = first.Server.HttpEndpoint!;
        await using var browser = await chromium.OpenAsync(DashboardUrl(first));
        await browser.WaitForValueAsync("uptime", ">=", 3_000);
        var pointsBefore = int.Parse((await browser.Page.Locator("#chart-connections path").GetAttributeAsync("data-points"))!);

        await first.DisposeAsync();
        await browser.WaitUntilAsync("() => document.getElementById('state').dataset.state === 'unreachable'");
        await using var second = await ServerHarness.StartAsync(dir, o => o with { Http = http });
        await browser.WaitUntilAsync("() => document.getElementById('state').dataset.state === 'idle'");
        await browser.WaitForValueAsync("uptime", "<", 3_000);
        var pointsAfter = int.Parse((await browser.Page.Locator("#chart-connections path").GetAttributeAsync("data-points"))!);

        Assert.True(pointsBefore >= 3, $"{pointsBefore} points before the restart");
        Assert.True(pointsAfter < pointsBefore, $"the old server's {pointsBefore} samples were kept: {pointsAfter} points");
        Assert.All(browser.Errors, e => Assert.Contains("Failed to load resource", e)); // the refused requests, nothing else
    }

    private static Uri DashboardUrl(ServerHarness harness) => new($"http://{harness.Server.HttpEndpoint}/");

    private static Task<ClientSummary> RunClientAsync(ServerHarness harness, CancellationToken stop) =>
        TestClient.RunUntilStoppedAsync(TestClient.Options(harness, Connections), stop);

    private static async Task<long[]> TailAsync(IPage page) =>
        [.. (await page.Locator("#tail tr td:first-child").AllTextContentsAsync()).Select(long.Parse)];

    /// <summary>Kept beside the test binaries (artifacts/bin/Horodate.BrowserTests/.../screenshots) for a look after a run.</summary>
    private static async Task SaveScreenshotAsync(IPage page, string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "screenshots", name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
    }
}
