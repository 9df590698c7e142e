using Horodate.ClusterTests.Support;
using Horodate.FunctionalTests.Support;
using Horodate.Server.Sinks.JetStream;
using Horodate.Testing;
using NATS.Client.JetStream;

namespace Horodate.ClusterTests;

/// <summary>Two edges started with one <c>--edge-id</c>: the one whose life was claimed first stops (FrameSequence.Superseded).</summary>
[Trait("Category", "Cluster")]
public sealed class SameIdTests
{
    [Fact]
    public async Task An_edge_after_whose_life_another_edge_of_its_id_claimed_one_stops_with_exit_code_4()
    {
        await using var tree = await Tree.StartNatsAsync();
        var firstEndpoint = await tree.StartEdgeAsync("e1");
        var first = tree.Edge("e1");
        using var firstClient = ProgramProcess.Start(ProgramProcess.Client, "--server", firstEndpoint, "-n", "5", "--duration", "60s", "--quiet");
        await using (var connection = new NatsSettings { Url = tree.NatsUrl, User = TreeSetup.NatsUser, Password = TreeSetup.NatsPassword }.Connect("same-id-test"))
        {
            var frames = new JetStreamFramePublisher(new NatsJSContext(connection));
            Assert.True(
                await Within.PollAsync(async () => (await frames.LastAsync(NatsSettings.SubjectPrefix + "e1")).Sequence > 0, Within.Short),
                "the first edge published nothing");
        }

        // The second edge under the same id claims a life when its first client comes: after the first's frames.
        var secondEndpoint = await tree.StartEdgeAsync("e1");
        using var secondClient = ProgramProcess.Start(ProgramProcess.Client, "--server", secondEndpoint, "-n", "1", "--duration", "60s", "--quiet");

        // The first's next frame is refused: it must stop rather than publish its values under its older life.
        await first.WaitForExitAsync(Within.Long);
        Assert.Equal(4, first.ExitCode);
        Assert.Contains("Another process publishes as edge e1", first.Stderr, StringComparison.Ordinal);
        Assert.False(tree.Edge("e1").HasExited, $"the second edge stopped too:\n{tree.Edge("e1").Stderr}");
    }
}
