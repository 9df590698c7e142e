using System.Net.Sockets;
using System.Text;
using Horodate.Core.Protocol;
using Horodate.FunctionalTests.Support;

namespace Horodate.FunctionalTests;

/// <summary>The server's logging when nobody reads its standard error: a full pipe must not stall the data path.</summary>
public sealed class StandardErrorTests
{
    [Fact]
    public async Task A_server_whose_standard_error_pipe_is_full_still_reads_and_acknowledges_values()
    {
        using var dir = new TempDirectory();
        // Standard error is a pipe this test never reads: it fills at 64 KB.
        await using var server = await UnreadServer.StartAsync(
            ["--listen", "127.0.0.1:0", "--output", dir.File("out.txt"), "--log-level", "Debug", "--status-interval", "0s", "--sync-interval", "10ms"]);
        var cancel = TestContext.Current.CancellationToken;
        var endpoint = server.Endpoint;

        // Each connection logs two Debug lines (~100 bytes each): 1,000 of them are three times the pipe's 64 KB.
        for (var i = 0; i < 1_000; i++)
        {
            using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(endpoint, cancel).AsTask().WaitAsync(Within.Short, cancel);
            socket.Shutdown(SocketShutdown.Both);
        }

        // An acknowledged client now: its values are read, written and acknowledged as ever.
        using var client = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync(endpoint, cancel).AsTask().WaitAsync(Within.Short, cancel);
        var value = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await client.SendAsync(Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(Handshake.HelloLine("piped")) + $"{value}\n"), SocketFlags.None, cancel)
            .AsTask().WaitAsync(Within.Short, cancel);
        client.Shutdown(SocketShutdown.Send); // finished: acknowledged at once once durable
        var received = new StringBuilder();
        var buffer = new byte[256];
        while (!received.ToString().Contains($"ACK {value}\n", StringComparison.Ordinal))
        {
            var read = await client.ReceiveAsync(buffer, SocketFlags.None, cancel).AsTask().WaitAsync(Within.Short, cancel);
            Assert.True(read > 0, $"the server closed without acknowledging; it sent: {received}");
            received.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
    }
}
