using Horodate.Checker;
using Horodate.ClusterTests.Support;
using Horodate.FunctionalTests.Support;

namespace Horodate.ClusterTests;

/// <summary><c>root --rebuild</c>: the stream replayed into a fresh file gives the live root's file.</summary>
[Trait("Category", "Cluster")]
public sealed class RebuildTests
{
    [Fact]
    public async Task A_rebuild_from_the_stream_equals_the_live_roots_file_and_refuses_a_non_empty_output()
    {
        await using var tree = await Tree.StartNatsAsync();
        await tree.StartEdgeAsync("e1");
        await tree.StartEdgeAsync("e2");
        await tree.StartRootAsync();
        string[] servers = [.. tree.EdgeEndpoints.Values.SelectMany(e => new[] { "--server", e })];
        using (var client = ProgramProcess.Start(ProgramProcess.Client, [.. servers, "-n", "20", "--duration", "4s", "--quiet",
            "--record", tree.Dir.File("sent.txt"), "--record-acked", tree.Dir.File("acked.txt")]))
        {
            await client.WaitForExitAsync(Within.Long);
            Assert.Equal(0, client.ExitCode);
        }

        // The live root's file is exact; then it stops gracefully (everything it took written).
        var input = new CheckInput { Output = tree.Output, Acked = [tree.Dir.File("acked.txt")], Sent = [tree.Dir.File("sent.txt")] };
        await Within.PollAsync(() => Check.Run(input).Ok, Within.Long);
        tree.Root!.Terminate();
        await tree.Root.WaitForExitAsync(Within.Long);
        Assert.True(Check.Run(input).Ok, string.Join("; ", Check.Run(input).Violations));

        var rebuilt = tree.Dir.File("rebuilt.txt");
        using (var rebuild = ProgramProcess.Start(ProgramProcess.Server, Tree.Credentials, "root", "--nats", tree.NatsUrl, "--rebuild", "--output", rebuilt, "--quiet"))
        {
            await rebuild.WaitForExitAsync(Within.Long);
            Assert.True(rebuild.ExitCode == 0, rebuild.Stdout + rebuild.Stderr);
        }

        var live = await File.ReadAllTextAsync(tree.Output, TestContext.Current.CancellationToken);
        Assert.True(live.Length > 10_000, $"the live file holds only {live.Length} bytes");
        Assert.Equal(live, await File.ReadAllTextAsync(rebuilt, TestContext.Current.CancellationToken));
        Assert.False(File.Exists(rebuilt + ".late") && new FileInfo(rebuilt + ".late").Length > 0, "the rebuild stored late values");

        // A second rebuild into the same (now non-empty) file is refused, and leaves it as it is.
        using var again = ProgramProcess.Start(ProgramProcess.Server, Tree.Credentials, "root", "--nats", tree.NatsUrl, "--rebuild", "--output", rebuilt, "--quiet");
        await again.WaitForExitAsync(Within.Short);
        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains("not empty", again.Stderr, StringComparison.Ordinal);
        Assert.Equal(live, await File.ReadAllTextAsync(rebuilt, TestContext.Current.CancellationToken));
    }
}
