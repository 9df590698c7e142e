using System.Net.Sockets;
using System.Text;
using Horodate.Core.Protocol;
using Horodate.FunctionalTests.Support;
using Horodate.Server.Hosting;

namespace Horodate.FunctionalTests;

/// <summary>
/// The order of a graceful stop (issue 10, defect 1): stop accepting and reading, flush, sync, send the last
/// acknowledgements, and only then close the connections.
/// </summary>
public sealed class GracefulStopTests
{
    [Theory]
    [InlineData(TransportKind.Epoll, false)]
    [InlineData(TransportKind.Epoll, true)]
    [InlineData(TransportKind.Kestrel, false)]
    [InlineData(TransportKind.Kestrel, true)]
    public async Task A_graceful_stop_acknowledges_every_value_it_stored_before_it_closes_the_connection(TransportKind transport, bool keepDuplicates)
    {
        using var dir = new TempDirectory();

        // No periodic sync during the test: every acknowledgement the client gets comes from the stop.
        await using var harness = await ServerHarness.StartAsync(dir, o => o with
        {
            Transport = transport,
            SyncInterval = TimeSpan.FromMinutes(1),
            Ordering = o.Ordering with { Dedupe = !keepDuplicates },
        });
        using var socket = new Socket(harness.Endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(harness.Endpoint, TestContext.Current.CancellationToken).AsTask().WaitAsync(Within.Short, TestContext.Current.CancellationToken);

        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var values = Enumerable.Range(0, 50).Select(i => now + i).ToArray();
        var text = Encoding.ASCII.GetString(Handshake.HelloLine("stopping")) + string.Concat(values.Select(v => $"{v}\n"));
        await socket.SendAsync(Encoding.ASCII.GetBytes(text), SocketFlags.None).WaitAsync(Within.Short, TestContext.Current.CancellationToken);
        Assert.True(await Within.PollAsync(() => harness.Server.Summary.Received == values.Length, Within.Short), "the server did not receive the values");

        var reading = ReadUntilClosedAsync(socket);
        var summary = await harness.StopAsync();
        var received = await reading.WaitAsync(Within.Short, TestContext.Current.CancellationToken);

        Assert.Equal(values.Length, summary.Written);
        Assert.Equal(values, harness.ReadOutput());
        var lines = received.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("OK horodate/1 ack", lines[0]);
        var acks = lines.Skip(1).Select(line => Assert.IsType<string>(line)).ToArray();
        Assert.All(acks, line => Assert.StartsWith("ACK ", line, StringComparison.Ordinal));
        Assert.NotEmpty(acks);
        Assert.Equal(values[^1], long.Parse(acks[^1].AsSpan(4), System.Globalization.CultureInfo.InvariantCulture));
    }

    private static async Task<string> ReadUntilClosedAsync(Socket socket)
    {
        var buffer = new byte[4096];
        var text = new StringBuilder();
        int read;
        try
        {
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
            {
                text.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
        }
        catch (SocketException)
        {
            // a reset ends it too
        }

        return text.ToString();
    }
}
