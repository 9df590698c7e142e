using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Horodate.Client.Load;
using Horodate.Core.Protocol;
using Horodate.FunctionalTests.Support;
using Microsoft.Extensions.Logging;

namespace Horodate.FunctionalTests;

/// <summary>
/// The client's scheduler threads read what the server sends a plain socket once its hello is settled (one epoll set
/// per thread): acknowledgements split anywhere, the server's close, and the last acknowledgements at stop.
/// </summary>
public sealed class SchedulerReadTests
{
    [Fact]
    public async Task An_acknowledgement_split_across_two_segments_or_begun_before_the_hand_over_is_read_whole()
    {
        Assert.SkipUnless(NativeEpoll.IsSupported, "the scheduler threads read only on Linux x86-64");
        using var pair = await SocketPair.OpenAsync();
        var connection = new ClientConnection(0, 0, unackedLimit: 16);
        var generation = connection.BringUp(pair.Client, tls: null);
        var scheduler = new SendScheduler(0, [connection], [connection], Stopwatch.Frequency * 3600, keepUnacked: true, (_, _) => { });
        scheduler.Start(Stopwatch.GetTimestamp());
        try
        {
            // The watcher read the start of a line before it handed the socket over: the thread reads the rest.
            Assert.True(scheduler.TryHandOver(connection, generation, "ACK 17"u8));
            await pair.Server.SendAsync("00000000005\n"u8.ToArray(), TestContext.Current.CancellationToken);
            Assert.True(await Within.PollAsync(() => connection.AckedThrough == 1_700_000_000_005, Within.Short), $"acknowledged through {connection.AckedThrough}");

            // A line in two segments, the first read (the socket drained) before the second is sent.
            await pair.Server.SendAsync("ACK 170000"u8.ToArray(), TestContext.Current.CancellationToken);
            Assert.True(await Within.PollAsync(() => pair.Client.Available == 0, Within.Short), "the first segment was never read");
            await pair.Server.SendAsync("0000009\n"u8.ToArray(), TestContext.Current.CancellationToken);
            Assert.True(await Within.PollAsync(() => connection.AckedThrough == 1_700_000_000_009, Within.Short), $"acknowledged through {connection.AckedThrough}");
        }
        finally
        {
            scheduler.Stop();
            connection.Close();
        }
    }

    [Fact]
    public async Task A_server_that_closes_the_connection_after_the_hello_is_seen_closing_it_and_the_client_reconnects()
    {
        var accepted = 0;
        await using var server = FakeServer.Start(async (peer, index, stop) =>
        {
            Interlocked.Increment(ref accepted);
            var lines = new LineReader(peer);
            await lines.ReadLineAsync(stop); // the hello
            await peer.SendAsync(Handshake.Ok.ToArray(), stop);
            if (index == 0)
            {
                await lines.ReadLineAsync(stop); // a value: the hello is settled, the socket read by its scheduler thread
                return; // closed
            }

            await FakeServer.SinkAsync(peer, stop);
        });

        var logs = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(l => l.AddProvider(logs));
        var summary = await TestClient.RunAsync(TestClient.Options(server.Port, 1) with { Duration = TimeSpan.FromSeconds(1.5) }, factory.CreateLogger("test"));
        await server.StopAsync();

        Assert.True(summary.Reconnects >= 1, $"{summary.Reconnects} reconnects");
        Assert.True(Volatile.Read(ref accepted) >= 2, $"{accepted} connections accepted");

        // Seen as the server's close (read), not found out by a send into the closed socket (a reset, a broken pipe).
        Assert.Contains(logs.Messages, m => m.Message.Contains("the server closed the connection", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Messages, m => m.Message.Contains("reset the connection", StringComparison.Ordinal) || m.Message.Contains("the connection was closed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Acknowledgements_sent_only_after_the_client_half_closed_are_all_counted_at_stop()
    {
        // A server that acknowledges nothing during the run: at the client's half-close, the newest value it read.
        await using var server = FakeServer.Start(async (peer, _, stop) =>
        {
            var lines = new LineReader(peer);
            await lines.ReadLineAsync(stop); // the hello
            await peer.SendAsync(Handshake.Ok.ToArray(), stop);
            var newest = -1L;
            while (await lines.ReadLineAsync(stop) is { } line)
            {
                newest = Math.Max(newest, long.Parse(line, CultureInfo.InvariantCulture));
            }

            if (newest >= 0)
            {
                await peer.SendAsync(Encoding.ASCII.GetBytes($"ACK {newest}\n"), stop);
            }
        });

        var summary = await TestClient.RunAsync(TestClient.Options(server.Port, 3) with { Duration = TimeSpan.FromSeconds(1), AckWait = Within.Short });

        Assert.Equal("ack", summary.AckMode);
        Assert.True(summary.Sent > 0, "nothing was sent");
        Assert.Equal(summary.Sent, summary.Acked);
        Assert.Equal(0, summary.Unacked);
    }

    /// <summary>Reads a peer's lines (ASCII); null at its end.</summary>
    private sealed class LineReader(Socket peer)
    {
        private readonly byte[] _buffer = new byte[4096];
        private int _length;

        public async Task<string?> ReadLineAsync(CancellationToken stop)
        {
            int newline;
            while ((newline = _buffer.AsSpan(0, _length).IndexOf((byte)'\n')) < 0)
            {
                var read = await peer.ReceiveAsync(_buffer.AsMemory(_length), stop);
                if (read == 0)
                {
                    return null;
                }

                _length += read;
            }

            var line = Encoding.ASCII.GetString(_buffer, 0, newline);
            _buffer.AsSpan(newline + 1, _length - newline - 1).CopyTo(_buffer);
            _length -= newline + 1;
            return line;
        }
    }
}
