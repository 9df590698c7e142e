using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Horodate.ClusterTests.Support;
using Horodate.FunctionalTests.Support;

namespace Horodate.ClusterTests;

/// <summary>
/// An edge whose only connection sends nothing holds the root's output back for at most the root's
/// <c>--idle-timeout</c>: the root's output lag (now minus the newest value in its file) is sampled while edge e1
/// carries a client and edge e2 has one silent connection.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class IdleEdgeTests
{
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// What the lag may exceed the idle timeout by, derived: the edge's flush (50 ms) and publish, the root's flush
    /// (50 ms) and write, the sampling period (100 ms), the engines' clock allowance (250 ms: values are stamped on the
    /// true clock, the engines run that much behind), and scheduling on a loaded 2-core machine, where a process can
    /// wait ~1 s for a core: 1.45 s in all.
    /// </summary>
    private static readonly TimeSpan Margin = TimeSpan.FromMilliseconds(50 + 50 + 100 + 250 + 1_000);

    [Fact]
    public async Task An_edge_with_a_silent_connection_holds_the_root_back_for_at_most_its_idle_timeout()
    {
        await using var tree = await Tree.StartNatsAsync();
        await tree.StartEdgeAsync("e1");
        var e2 = await tree.StartEdgeAsync("e2");
        await tree.StartRootAsync("--idle-timeout", $"{IdleTimeout.TotalSeconds}s");
        using var client = ProgramProcess.Start(ProgramProcess.Client, "--server", tree.EdgeEndpoints["e1"], "-n", "20", "--duration", "7s", "--quiet");
        TcpClient? silent = null;
        try
        {
            // The output flows first; then e2 gains a connection that never sends: e2 publishes its active frame and
            // the root holds the output for e2's source, until the idle timeout lets it go.
            var clock = Stopwatch.StartNew();
            var maxLag = TimeSpan.Zero;
            var lagAtConnect = TimeSpan.Zero;
            while (clock.Elapsed < TimeSpan.FromSeconds(6))
            {
                if (silent is null && clock.Elapsed > TimeSpan.FromSeconds(2))
                {
                    lagAtConnect = Lag(tree.Output);
                    silent = new TcpClient();
                    var parts = e2.Split(':');
                    await silent.ConnectAsync(parts[0], int.Parse(parts[1], CultureInfo.InvariantCulture), TestContext.Current.CancellationToken);
                }

                var lag = Lag(tree.Output);
                maxLag = silent is null || lag < maxLag ? maxLag : lag;
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }

            // The hold happened (the scenario is the one meant), and it ended within the bound; after it the output flows.
            Assert.True(maxLag > IdleTimeout / 2, $"the silent edge never held the root: max lag {maxLag}, {lagAtConnect} before");
            Assert.True(maxLag <= IdleTimeout + Margin, $"the root was held {maxLag}, more than {IdleTimeout} + {Margin}\n{tree.Stderr}");
            Assert.True(Lag(tree.Output) < Margin, $"the output did not flow again: lag {Lag(tree.Output)}");
        }
        finally
        {
            silent?.Dispose();
        }

        await client.WaitForExitAsync(Within.Long);
        Assert.Equal(0, client.ExitCode);
    }

    /// <summary>Now minus the newest value the root's file holds (its last complete line).</summary>
    private static TimeSpan Lag(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var tail = new byte[Math.Min(file.Length, 64)];
        file.Seek(-tail.Length, SeekOrigin.End);
        file.ReadExactly(tail);
        var lines = System.Text.Encoding.ASCII.GetString(tail).Split('\n');
        var last = lines.Length >= 2 ? lines[^2] : "";
        return long.TryParse(last, CultureInfo.InvariantCulture, out var value)
            ? TimeSpan.FromMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - value)
            : TimeSpan.Zero;
    }
}
