using Horodate.Core.Storage;
using Horodate.Core.Verification;
using Horodate.FunctionalTests.Support;

namespace Horodate.FunctionalTests;

/// <summary>Clients whose clocks disagree with the server's: order holds, nothing is lost, lag stays bounded.</summary>
public sealed class ClockSkewTests
{
    [Theory]
    [InlineData(5_000)] // the default: a client 3 s behind holds the output back 3 s
    [InlineData(1_000)] // tighter: it may hold it back 1 s, after which its older values are late
    public async Task Skewed_and_jumping_clocks_keep_the_file_sorted_and_every_value_stored_once_somewhere(int maxDelayMs)
    {
        using var dir = new TempDirectory();
        await using var harness = await ServerHarness.StartAsync(dir, o => o with { Ordering = o.Ordering with { MaxDelayMs = maxDelayMs } });
        var sent = new List<long>();
        var peers = new[]
        {
            SendAsync(harness, sent, (now, _) => now),                          // in step
            SendAsync(harness, sent, (now, _) => now - 3_000),                  // 3 s behind
            SendAsync(harness, sent, (now, _) => now + 3_000),                  // 3 s ahead (within --max-future)
            SendAsync(harness, sent, (now, i) => i < 20 ? now : now - 2_000),   // jumps back 2 s halfway
        };
        await Task.WhenAll(peers).WaitAsync(Within.Long, TestContext.Current.CancellationToken);
        var summary = await harness.StopAsync();

        var main = harness.ReadOutput();
        var late = File.Exists(harness.Options.LateOutput) ? new TimestampReader(harness.Options.LateOutput).ReadAll().ToArray() : [];
        Assert.True(TimestampVerifier.Verify(harness.Output, unique: true, recordPath: null).Passed, "the file must stay sorted and unique");
        Assert.Equal(late.Length, summary.Late);
        Assert.Empty(main.Intersect(late));
        lock (sent)
        {
            Assert.Equal(sent.Distinct().Order(), main.Concat(late).Order()); // every value stored once, in one file or the other
        }

        // The output never waits for a lagging client longer than the max delay (plus a flush and a send interval).
        Assert.True(summary.LagP99Ms <= maxDelayMs + 500, $"output lag p99 {summary.LagP99Ms} ms");
        if (maxDelayMs < 3_000)
        {
            Assert.True(summary.Late > 0, "the client 3 s behind must have had values written past it");
        }
    }

    /// <summary>A plain peer sending 40 values, one every 50 ms, as <paramref name="clock"/> says.</summary>
    private static async Task SendAsync(ServerHarness harness, List<long> sent, Func<long, int, long> clock)
    {
        await using var peer = await RawPeer.ConnectAsync(harness.Endpoint);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        for (var i = 0; i < 40; i++)
        {
            await timer.WaitForNextTickAsync();
            var value = clock(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), i);
            lock (sent)
            {
                sent.Add(value);
            }

            await peer.SendAsync($"{value}\n");
        }

        peer.Finish();
        await peer.ReadUntilClosedAsync(Within.Short);
    }
}
