using System.Net;
using System.Net.Sockets;
using System.Text;
using Horodate.Client.Load;
using Horodate.Client.Status;
using Horodate.Core.Verification;
using Horodate.FunctionalTests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Horodate.FunctionalTests;

/// <summary>
/// The acknowledged client's stop right after a reconnect: what the last server never acknowledged goes out again
/// before the half-close, even when the connection's turn in the schedule has not come since it came back.
/// </summary>
public sealed class ResendAtStopTests
{
    [Fact]
    public async Task A_connection_back_up_just_before_the_stop_resends_what_was_not_acknowledged_before_half_closing()
    {
        using var dir = new TempDirectory();
        var record = dir.File("sent.txt");
        var test = TestContext.Current.CancellationToken;

        // The first server greets the client, takes its first value without acknowledging it, and goes away.
        using var first = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        first.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        first.Listen();
        var port = ((IPEndPoint)first.LocalEndPoint!).Port;

        // One connection, one value every 4 s: after the reconnect its next turn is seconds away, and the stop comes first.
        var status = new LatestStatus();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(test);
        var run = LoadClient.RunAsync(
            TestClient.Options(port, 1) with
            {
                Interval = TimeSpan.FromSeconds(4),
                ReconnectMin = TimeSpan.FromMilliseconds(20),
                ReconnectMax = TimeSpan.FromMilliseconds(100),
                RecordPath = record,
                StatusInterval = TimeSpan.FromMilliseconds(20),
                AckWait = Within.Short,
            },
            status,
            NullLogger.Instance,
            stop.Token);
        ServerHarness? second = null;
        try
        {
            using (var accepted = await first.AcceptAsync(test).AsTask().WaitAsync(Within.Short, test))
            {
                Assert.StartsWith("HELLO horodate/1 ack", await ReadLineAsync(accepted));
                await accepted.SendAsync("OK horodate/1 ack\n"u8.ToArray(), test).AsTask().WaitAsync(Within.Short, test);
                Assert.True(long.TryParse(await ReadLineAsync(accepted), out _), "no value sent");
            }

            first.Close();
            second = await ServerHarness.StartAsync(dir, o => o with { Listen = [new IPEndPoint(IPAddress.Loopback, port)] });
            Assert.True(await Within.PollAsync(() => status.Latest is { Up: 1, Reconnects: >= 1 }, Within.Short), $"not back: {status.Latest}");
        }
        finally
        {
            await stop.CancelAsync();
        }

        var summary = await run.WaitAsync(Within.Long, test);
        await second!.StopAsync();
        await second.DisposeAsync();

        Assert.Equal(0, summary.Unacked);
        Assert.Equal(summary.Sent, summary.Acked);
        var report = TimestampVerifier.Verify(second.Output, unique: true, record);
        Assert.True(report.Passed, EndToEndTests.VerifyText(report));
        Assert.Equal(0, report.Missing);
    }

    /// <summary>One line from <paramref name="socket"/>, read a byte at a time (the client's next line stays unread).</summary>
    private static async Task<string> ReadLineAsync(Socket socket)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (await socket.ReceiveAsync(one, TestContext.Current.CancellationToken).AsTask().WaitAsync(Within.Short, TestContext.Current.CancellationToken) == 1 && one[0] != '\n')
        {
            line.Append((char)one[0]);
        }

        return line.ToString();
    }

    /// <summary>The client's latest status, as it reports it.</summary>
    private sealed class LatestStatus : IProgress<ClientStatus>
    {
        private ClientStatus? _latest;

        public ClientStatus? Latest => Volatile.Read(ref _latest);

        public void Report(ClientStatus value) => Volatile.Write(ref _latest, value);
    }
}
