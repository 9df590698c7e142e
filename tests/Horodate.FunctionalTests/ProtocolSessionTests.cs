using System.Net.Sockets;
using System.Text;
using Horodate.FunctionalTests.Support;
using Horodate.Server.Hosting;

namespace Horodate.FunctionalTests;

/// <summary>The per-connection protocol, which both transports drive through one <c>ProtocolSession</c>.</summary>
public sealed class ProtocolSessionTests
{
    [Theory]
    [InlineData(TransportKind.Epoll)]
    [InlineData(TransportKind.Kestrel)]
    public async Task A_connection_reset_in_the_middle_of_a_line_keeps_its_values_and_counts_the_half_line_as_rejected(TransportKind transport)
    {
        using var dir = new TempDirectory();
        await using var harness = await ServerHarness.StartAsync(dir, o => o with { Transport = transport });
        var t = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        using (var socket = new Socket(SocketType.Stream, ProtocolType.Tcp))
        {
            await socket.ConnectAsync(harness.Endpoint, TestContext.Current.CancellationToken).AsTask().WaitAsync(Within.Short, TestContext.Current.CancellationToken);
            await socket.SendAsync(Encoding.ASCII.GetBytes($"{t}\n{t + 1}\n1700")).WaitAsync(Within.Short, TestContext.Current.CancellationToken);
            Assert.True(await Within.PollAsync(() => harness.Server.Summary.Received == 2, Within.Short), "the values were never read");
            socket.LingerState = new LingerOption(true, 0); // closing now sends a reset, not a FIN
        }

        Assert.True(await Within.PollAsync(() => harness.Server.Summary.RejectedLines == 1, Within.Short), "the half line was not counted");
        var summary = await harness.StopAsync();
        Assert.Equal(1, summary.RejectedLines);
        Assert.Equal([t, t + 1], harness.ReadOutput());
    }
}
