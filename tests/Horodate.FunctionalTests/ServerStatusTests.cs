using System.Net.Sockets;
using System.Text;
using Horodate.FunctionalTests.Support;

namespace Horodate.FunctionalTests;

/// <summary>The one status model: cumulative snapshots that any number of readers take differences of.</summary>
public sealed class ServerStatusTests
{
    [Fact]
    public async Task A_reader_sees_the_output_lag_of_every_value_written_in_its_interval_whatever_other_readers_take()
    {
        using var dir = new TempDirectory();
        await using var harness = await ServerHarness.StartAsync(dir);
        var panelBefore = harness.Server.Status(); // one reader (the live panel) starts its interval

        using var socket = new Socket(harness.Endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(harness.Endpoint, TestContext.Current.CancellationToken).AsTask().WaitAsync(Within.Short, TestContext.Current.CancellationToken);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var values = Enumerable.Range(0, 40).Select(i => now + i).ToArray();
        await socket.SendAsync(Encoding.ASCII.GetBytes(string.Concat(values.Select(v => $"{v}\n"))), SocketFlags.None).WaitAsync(Within.Short, TestContext.Current.CancellationToken);
        socket.Shutdown(SocketShutdown.Send); // nothing more: the values are written without waiting for an idle timeout
        Assert.True(await Within.PollAsync(() => harness.Server.Status().Written == values.Length, Within.Short), "the values were not written");

        var lineBefore = harness.Server.Status(); // another reader (the status line) comes and goes in between
        var panelAfter = harness.Server.Status();
        var lineAfter = harness.Server.Status();

        var panel = panelAfter.Since(panelBefore);
        Assert.Equal(values.Length, panel.Written);
        Assert.Equal(values.Length, panel.Lag.Count); // before: the other reader's takeLag had emptied it
        Assert.Equal(0, lineAfter.Since(lineBefore).Lag.Count);
        Assert.Equal(values.Length, lineAfter.Lag.Count); // the run's lag, from the start
    }
}
