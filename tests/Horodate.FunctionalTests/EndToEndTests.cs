using Horodate.Client.Status;
using Horodate.Core.Protocol;
using Horodate.Core.Verification;
using Horodate.FunctionalTests.Support;
using Microsoft.Extensions.Logging;
using Horodate.Server.Hosting;

namespace Horodate.FunctionalTests;

/// <summary>The statement's job, over real loopback sockets: a 50-connection client against the server.</summary>
public sealed class EndToEndTests
{
    [Theory]
    [InlineData(TransportKind.Epoll, false, false)]
    [InlineData(TransportKind.Epoll, true, false)]
    [InlineData(TransportKind.Epoll, false, true)]
    [InlineData(TransportKind.Epoll, true, true)]
    [InlineData(TransportKind.Kestrel, false, false)]
    [InlineData(TransportKind.Kestrel, true, true)]
    public async Task Every_value_the_client_sent_is_in_the_file_in_order_once_the_server_stopped(TransportKind transport, bool aligned, bool keepDuplicates)
    {
        using var dir = new TempDirectory();
        await using var harness = await ServerHarness.StartAsync(dir, o => o with
        {
            Transport = transport,
            Ordering = o.Ordering with { Dedupe = !keepDuplicates },
        });
        Assert.Equal(transport, harness.Server.Transport);
        var record = dir.File("sent.txt");

        var client = await TestClient.RunFiftyAsync(harness, aligned, record, TimeSpan.FromSeconds(3));
        var server = await harness.StopAsync();

        var report = TimestampVerifier.Verify(harness.Output, unique: !keepDuplicates, record);
        Assert.True(report.Passed, VerifyText(report) + $" | server: {server} | client: {client}");
        Assert.Equal(client.Sent, report.Expected);
        Assert.Equal(50, client.ConnectionsUp);
        Assert.True(client.Sent > 0, "nothing was sent: the checks above would hold for an empty run");
        Assert.Equal(0, server.Late);
        Assert.Equal(client.Sent, server.Received);
        Assert.Equal("ack", client.AckMode);
        Assert.Equal(client.Sent, client.Acked); // the client waited at stop for the last acknowledgements
        Assert.Equal(0, client.Unacked);
        Assert.Equal(report.Values, server.Written);
        if (keepDuplicates)
        {
            Assert.Equal(client.Sent, report.Values);
            Assert.Equal(0, server.Duplicates);
        }
        else
        {
            Assert.Equal(client.Sent, server.Written + server.Duplicates);
            if (aligned)
            {
                Assert.True(server.Duplicates > client.Sent / 2, $"aligned sends should collide: {server.Duplicates} duplicates of {client.Sent}");
            }
        }
    }

    [Fact]
    public async Task Against_a_server_that_never_answers_the_hello_the_client_carries_on_in_plain_mode_and_says_so()
    {
        // A plain sink, like the statement's Perl server: reads everything, never writes.
        await using var sink = FakeServer.Start((peer, _, stop) => FakeServer.SinkAsync(peer, stop));
        var logs = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(l => l.AddProvider(logs));
        var summary = await TestClient.RunAsync(
            TestClient.Options(sink.Port, 5) with { Duration = TimeSpan.FromSeconds(1.5), HelloTimeout = TimeSpan.FromMilliseconds(300) },
            factory.CreateLogger("test"));

        Assert.Equal("plain", summary.AckMode);
        Assert.True(summary.Sent > 0, "the client stopped sending after the hello went unanswered");
        Assert.Equal(0, summary.Unacked); // nothing kept for a server that will never acknowledge
        Assert.Contains(logs.Messages, m => m.Message.Contains("does not answer the acknowledged-mode hello"));
    }

    [Fact]
    public async Task A_hello_answered_late_by_an_address_that_answered_others_is_waited_for_not_taken_for_a_plain_server()
    {
        // A busy acknowledging server (a big ramp behind a proxy): it answers the first connection at once and the
        // second only after three hello timeouts. The second must wait for its answer, sending nothing before it.
        var helloTimeout = TimeSpan.FromSeconds(1);
        var sentBeforeAnswer = new System.Collections.Concurrent.ConcurrentBag<int>();
        await using var server = FakeServer.Start(async (peer, index, stop) =>
        {
            var buffer = new byte[4096];
            var received = 0;
            int newline;
            while ((newline = buffer.AsSpan(0, received).IndexOf((byte)'\n')) < 0)
            {
                var read = await peer.ReceiveAsync(buffer.AsMemory(received), stop);
                if (read == 0)
                {
                    return;
                }

                received += read;
            }

            if (index > 0)
            {
                // Read for three hello timeouts without answering: whatever comes is sent unanswered.
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stop);
                wait.CancelAfter(3 * helloTimeout);
                try
                {
                    int read;
                    while ((read = await peer.ReceiveAsync(buffer.AsMemory(received), wait.Token)) > 0)
                    {
                        received += read;
                    }
                }
                catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                {
                }

                sentBeforeAnswer.Add(received - newline - 1);
            }

            await peer.SendAsync(Handshake.Ok.ToArray(), stop);
            await FakeServer.SinkAsync(peer, stop);
        });

        var logs = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(l => l.AddProvider(logs));
        var summary = await TestClient.RunAsync(
            TestClient.Options(server.Port, 2) with { Duration = TimeSpan.FromSeconds(5), HelloTimeout = helloTimeout, AckWait = TimeSpan.Zero },
            factory.CreateLogger("test"));

        await server.StopAsync();

        Assert.Equal("ack", summary.AckMode);
        Assert.Equal([0], sentBeforeAnswer); // the late connection sent nothing before its answer
        Assert.DoesNotContain(logs.Messages, m => m.Message.Contains("does not answer the acknowledged-mode hello"));
    }

    [Fact]
    public async Task The_file_grows_sorted_while_the_client_runs()
    {
        using var dir = new TempDirectory();
        await using var harness = await ServerHarness.StartAsync(dir);
        // The client runs until the file has been seen growing, however slow the machine: it is stopped then.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var run = TestClient.RunFiftyUntilStoppedAsync(harness, stop.Token);
        try
        {
            Assert.True(await Within.PollAsync(() => Length(harness.Output) > 0, Within.Short), "nothing written while the client runs");
            var first = AssertSortedWholeLines(harness.Output);
            Assert.True(await Within.PollAsync(() => Length(harness.Output) > first + 1_000, Within.Short), "the file stopped growing");
            var second = AssertSortedWholeLines(harness.Output);
            Assert.True(second > first);
        }
        finally
        {
            await stop.CancelAsync();
        }

        await run.WaitAsync(Within.Long, TestContext.Current.CancellationToken);
        await harness.StopAsync();
        AssertSortedWholeLines(harness.Output);
    }

    private static long Length(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    /// <summary>Reads the file as a reader would mid-run: whole lines only, ascending. Returns its length.</summary>
    private static long AssertSortedWholeLines(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var text = reader.ReadToEnd();
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        var values = text.TrimEnd('\n').Split('\n').Select(long.Parse).ToArray();
        Assert.Equal(values.Order(), values);
        Assert.Equal(values.Length, values.Distinct().Count());
        return text.Length;
    }

    internal static string VerifyText(VerifyReport r) =>
        $"values {r.Values}, inversions {r.Inversions}, duplicates {r.Duplicates}, malformed {r.MalformedLines}, " +
        $"expected {r.Expected}, missing {r.Missing} [{string.Join(",", r.MissingSamples)}], unexpected {r.Unexpected} [{string.Join(",", r.UnexpectedSamples)}]";
}
