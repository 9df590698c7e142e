using System.Globalization;
using System.Text.RegularExpressions;
using Horodate.Checker;
using Horodate.ClusterTests.Support;
using Horodate.FunctionalTests.Support;

namespace Horodate.ClusterTests;

/// <summary>
/// Edges and a root on NATS JetStream (Debian's nats-server 2.9 with NATS.Net 3.3), clients through HAProxy: the
/// root's file judged by the independent checker against what the clients sent and had acknowledged.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class TreeTests
{
    [Fact]
    public async Task An_edge_without_credentials_is_refused_by_nats_server()
    {
        await using var tree = await Tree.StartNatsAsync();
        using var anonymous = ProgramProcess.Start(ProgramProcess.Server, new Dictionary<string, string> { ["HORODATE_NATS_USER"] = "", ["HORODATE_NATS_PASSWORD"] = "" },
            "edge", "--listen", "127.0.0.1:0", "--nats", tree.NatsUrl, "--edge-id", "intruder", "--quiet");
        await anonymous.WaitForExitAsync(Within.Long);

        Assert.NotEqual(0, anonymous.ExitCode);
        Assert.Contains("cannot reach NATS JetStream", anonymous.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("listening on", anonymous.Stdout, StringComparison.Ordinal);
        Assert.True(await Within.PollAsync(() => tree.Nats!.Stderr.Contains("authentication error", StringComparison.Ordinal), Within.Short), tree.Nats!.Stderr);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_tree_stores_every_acknowledged_value_once_in_order_through_an_edge_killed_midway(bool throughHaproxy)
    {
        await using var tree = await Tree.StartNatsAsync();
        foreach (var id in new[] { "e1", "e2", "e3" })
        {
            await tree.StartEdgeAsync(id);
        }

        // A killed edge's clients resend through another edge, where those values are late (below that edge's write
        // point) and travel as a late frame that the root places in order if its own write point has not passed them:
        // the root waits up to its idle timeout (which follows --max-delay) for the killed edge. 30 s, six times the
        // default: on a loaded CI machine (the simulator's 100,000 schedules beside it) 10 s once let one acknowledged
        // value, resent ~7 s after its time, reach the root's .late instead.
        await tree.StartRootAsync("--max-delay", "30s");
        // Through HAProxy (one address), or each client spreading its own connections over the edges (--server × 3).
        string[] servers = throughHaproxy
            ? ["--server", await tree.StartBalancerAsync()]
            : [.. tree.EdgeEndpoints.Values.SelectMany(e => new[] { "--server", e })];

        long killedAt = 0;
        var clients = Enumerable.Range(1, 2).Select(i => ProgramProcess.Start(ProgramProcess.Client, [.. servers, "-n", "150", "--duration", "15s", "--quiet",
            "--record", tree.Dir.File($"sent{i}.txt"), "--record-acked", tree.Dir.File($"acked{i}.txt")])).ToList();
        try
        {
            // Midway, once every edge carries clients: kill -9 of one; its clients reconnect through HAProxy and resend.
            await Task.Delay(TimeSpan.FromSeconds(6), TestContext.Current.CancellationToken);
            tree.KillEdge("e1");
            killedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            foreach (var client in clients)
            {
                await client.WaitForExitAsync(Within.Long);
                Assert.True(client.ExitCode == 0, client.Stdout + client.Stderr);
            }

            // The kill happened under load: the killed edge's clients had unacknowledged values, and resent them elsewhere.
            var resent = clients.Sum(c => long.Parse(Regex.Match(c.Stdout, @"([\d,]+) resent after reconnects").Groups[1].Value.Replace(",", ""), CultureInfo.InvariantCulture));
            Assert.True(resent > 0, string.Join('\n', clients.Select(c => c.Stdout)));
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }

        var input = new CheckInput
        {
            Output = tree.Output,
            Acked = [tree.Dir.File("acked1.txt"), tree.Dir.File("acked2.txt")],
            Sent = [tree.Dir.File("sent1.txt"), tree.Dir.File("sent2.txt")],
        };

        // Every acknowledged value is in JetStream; the root catches up with it (bounded), then stops gracefully.
        Assert.True(await Within.PollAsync(() => Check.Run(input).Ok, Within.Long), $"edge killed at {killedAt}: {string.Join("; ", Check.Run(input).Violations)}");
        tree.Root!.Terminate();
        await tree.Root.WaitForExitAsync(Within.Long);

        var report = Check.Run(input);
        Assert.True(report.Ok, $"edge killed at {killedAt}: {string.Join("; ", report.Violations)}");
        Assert.True(report.AckedValues > 50_000, $"only {report.AckedValues} values acknowledged");
        Assert.Contains("frames taken", tree.Root.Stdout + tree.Root.Stderr, StringComparison.Ordinal);
    }
}
