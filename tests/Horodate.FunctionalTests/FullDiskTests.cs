using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Horodate.Core.Verification;
using Horodate.FunctionalTests.Support;
using Microsoft.Extensions.Logging;

namespace Horodate.FunctionalTests;

/// <summary>
/// A real full disk: the output lives on a 256 KiB tmpfs (mounting one needs root, as CI runs), filled
/// up while a client sends, then given room again.
/// </summary>
public sealed class FullDiskTests
{
    [Fact]
    public async Task When_the_disk_fills_the_server_stops_acknowledging_pushes_back_and_resumes_in_order_with_nothing_lost()
    {
        using var dir = new TempDirectory();
        var disk = Directory.CreateDirectory(dir.File("disk")).FullName;
        Assert.True(await RunAsync("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", disk) == 0, "mounting a tmpfs needs root");
        try
        {
            // Leave about 24 KiB free: a few seconds of one value per millisecond.
            var filler = Path.Combine(disk, "filler");
            await File.WriteAllBytesAsync(filler, new byte[(256 - 24) * 1024], TestContext.Current.CancellationToken);
            var record = dir.File("sent.txt");
            await using var harness = await ServerHarness.StartAsync(dir, o => ServerHarness.WithHttp(o) with { Output = Path.Combine(disk, "out.txt") });
            using var http = harness.CreateHttpClient();

            var run = TestClient.RunAsync(TestClient.Options(harness, 50) with
            {
                Duration = TimeSpan.FromSeconds(6),
                RecordPath = record,
                AckWait = TimeSpan.FromSeconds(5),
            });

            // The disk fills: writes fail, and keep failing for a while.
            Assert.True(await Within.PollAsync(() => harness.Server.Summary.WriteErrors > 0, Within.Long), "the disk never filled");
            var failedAt = harness.Server.Summary;
            var fault = Stopwatch.StartNew();

            // Monitoring sees it: /healthz turns 503, and the dashboard's next sample says writes are failing.
            Assert.True(await Within.PollAsync(async () => (await http.GetAsync("/healthz")).StatusCode == HttpStatusCode.ServiceUnavailable, Within.Short), "/healthz stayed 200");
            Assert.True(await Within.PollAsync(async () =>
            {
                using var history = JsonDocument.Parse(await http.GetStringAsync("/history"));
                return history.RootElement.GetProperty("samples").EnumerateArray().Last().GetProperty("write_failing").GetBoolean();
            }, Within.Short), "no sample said writes were failing");
            var rest = TimeSpan.FromSeconds(1) - fault.Elapsed; // the fault lasts a second at least
            if (rest > TimeSpan.Zero)
            {
                await Task.Delay(rest, TestContext.Current.CancellationToken);
            }

            // Room again: the server must catch up, in order, and go on.
            File.Delete(filler);
            var client = await run;
            var summary = await harness.StopAsync();

            Assert.Equal(0, summary.Unwritten);
            Assert.Equal(0, summary.Late);
            var report = TimestampVerifier.Verify(harness.Output, unique: true, record);
            Assert.True(report.Passed, EndToEndTests.VerifyText(report));
            Assert.Equal(client.Sent, client.Acked); // every value sent ended up acknowledged, after the recovery
            Assert.True(failedAt.Written < summary.Written);
            Assert.Contains(harness.Logs.Messages, m => m.Level == LogLevel.Error && m.Message.Contains("failed"));
            Assert.Contains(harness.Logs.Messages, m => m.Message.Contains("works again"));
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz", TestContext.Current.CancellationToken)).StatusCode);
        }
        finally
        {
            await RunAsync("umount", "-l", disk);
        }
    }

    private static async Task<int> RunAsync(string program, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardError = true })!;
        await process.WaitForExitAsync().WaitAsync(Within.Short);
        return process.ExitCode;
    }
}
