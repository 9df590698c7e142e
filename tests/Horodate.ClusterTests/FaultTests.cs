using System.Diagnostics;
using Horodate.Checker;
using Horodate.ClusterTests.Support;
using Horodate.FunctionalTests.Support;

namespace Horodate.ClusterTests;

/// <summary>
/// kill -9 of the tree's stateful parts under load, each restarted on what it left behind: the root on its file (and
/// JetStream's durable consumer), nats-server on its store directory. The root's file is judged by the independent
/// checker: every acknowledged value exactly once, in order. Small loads (two edges, 60 connections, 8 s) keep each
/// run short; the faults land while values flow.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class FaultTests
{
    private static readonly TimeSpan LoadDuration = TimeSpan.FromSeconds(8);

    [Fact]
    public async Task A_root_killed_and_restarted_on_its_file_leaves_every_acknowledged_value_once_in_order()
    {
        await using var tree = await StartTreeAsync();
        await tree.StartRootAsync();
        var clients = StartClients(tree);
        try
        {
            // Midway: the root dies without a chance to flush; restarted on the same file, it resumes at the
            // consumer's ack floor and must recognise what the file already holds.
            await Task.Delay(LoadDuration / 2, TestContext.Current.CancellationToken);
            await tree.KillRootAsync();
            await tree.StartRootAsync();
            await WaitForClientsAsync(clients);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }

        await AssertExactAsync(tree, clients.Count);
    }

    [Fact]
    public async Task Nats_server_killed_and_restarted_on_its_store_loses_no_acknowledged_value()
    {
        await using var tree = await StartTreeAsync();
        // The outage delays every value stamped during it by the restart plus NATS.Net's reconnect (2 s between
        // attempts) plus the edge's publish timeout (5 s): more than the default --max-delay (5 s), past which the root
        // writes on and a delayed value goes to .late (the documented bound, found by this test: 3,880 values). 30 s, as
        // for an edge's death, so that "nothing lost" is judged as "everything in order in the main file".
        await tree.StartRootAsync("--max-delay", "30s");
        var clients = StartClients(tree);
        try
        {
            // Midway: nats-server dies; edges fail to publish (push-back, retry), the root's consumer fails to fetch.
            // Down for 1 s, then back on the same port and store: both reconnect, nothing PubAck'd is lost.
            await Task.Delay(LoadDuration / 2, TestContext.Current.CancellationToken);
            await tree.KillNatsAsync();
            await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
            await tree.RestartNatsAsync();
            await WaitForClientsAsync(clients);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }

        await AssertExactAsync(tree, clients.Count);
    }

    [Fact]
    public async Task An_edge_stopped_while_nats_server_is_down_stops_within_seconds_and_says_what_it_could_not_publish()
    {
        await using var tree = await StartTreeAsync();
        var clients = StartClients(tree);
        try
        {
            // Values flow, then nats-server dies: the edges' publishes fail (each waits out its 5 s publish timeout)
            // and their writers retry. A graceful stop then used to retry its final write 50 times, each attempt
            // waiting out the timeout: about 4 minutes. The stop's final write is bounded in time (StopLimits).
            await Task.Delay(LoadDuration / 4, TestContext.Current.CancellationToken);
            await tree.KillNatsAsync();
            await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);

            var edge = tree.Edge("e1");
            var stopping = Stopwatch.StartNew();
            edge.Terminate();
            await edge.WaitForExitAsync(Within.Long);

            // The write under way at the stop (a last-frame read and a publish, 5 s each at most), the final write's
            // 5 s, and the last attempt that started within them; plus the NATS connection's close.
            Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(40), $"the edge took {stopping.Elapsed.TotalSeconds:0.0} s to stop\n{edge.Stderr}");
            Assert.Contains("bytes not written to", edge.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    private static async Task<Tree> StartTreeAsync()
    {
        var tree = await Tree.StartNatsAsync();
        await tree.StartEdgeAsync("e1");
        await tree.StartEdgeAsync("e2");
        return tree;
    }

    /// <summary>Two clients of 30 acknowledged connections each, spreading over the edges (no balancer).</summary>
    private static List<ProgramProcess> StartClients(Tree tree)
    {
        string[] servers = [.. tree.EdgeEndpoints.Values.SelectMany(e => new[] { "--server", e })];
        return [.. Enumerable.Range(1, 2).Select(i => ProgramProcess.Start(ProgramProcess.Client, [.. servers, "-n", "30",
            "--duration", $"{LoadDuration.TotalSeconds}s", "--quiet", "--record", tree.Dir.File($"sent{i}.txt"), "--record-acked", tree.Dir.File($"acked{i}.txt")]))];
    }

    private static async Task WaitForClientsAsync(List<ProgramProcess> clients)
    {
        foreach (var client in clients)
        {
            await client.WaitForExitAsync(Within.Long);
            Assert.True(client.ExitCode == 0, client.Stdout + client.Stderr);
        }
    }

    /// <summary>The root catches up with JetStream (bounded), stops gracefully, and its file passes the checker.</summary>
    private static async Task AssertExactAsync(Tree tree, int clients)
    {
        var input = new CheckInput
        {
            Output = tree.Output,
            Acked = [.. Enumerable.Range(1, clients).Select(i => tree.Dir.File($"acked{i}.txt"))],
            Sent = [.. Enumerable.Range(1, clients).Select(i => tree.Dir.File($"sent{i}.txt"))],
        };
        await Within.PollAsync(() => Check.Run(input).Ok, Within.Long);
        tree.Root!.Terminate();
        await tree.Root.WaitForExitAsync(Within.Long);

        var report = Check.Run(input);
        Assert.True(report.Ok, string.Join("; ", report.Violations) + "\n" + tree.Stderr);
        Assert.True(report.AckedValues > 1_000, $"only {report.AckedValues} values acknowledged");
    }
}
