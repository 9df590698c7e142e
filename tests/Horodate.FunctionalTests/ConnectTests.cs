using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Horodate.Client.Load;
using Horodate.Client.Status;
using Horodate.Core.Protocol;
using Horodate.Core.Verification;
using Horodate.FunctionalTests.Support;
using Microsoft.Extensions.Logging;

namespace Horodate.FunctionalTests;

/// <summary>
/// The client's connects and hellos over real loopback sockets. On Linux x86-64 a plain connection connects
/// (non-blocking, native) and reads its hello in its scheduler thread's epoll set, with no asynchronous socket of the
/// runtime; elsewhere the runtime's sockets do it. Either way: the same failures, timeouts, messages and counts.
/// </summary>
public sealed class ConnectTests
{
    [Fact]
    public async Task A_port_where_nothing_listens_is_refused_counted_and_told_and_retried_with_backoff()
    {
        using var nobody = new RefusingPort();
        var logs = new CapturingLoggerProvider();
        var summary = await RunAsync(Options(nobody.Endpoint) with { Connections = 3, Duration = TimeSpan.FromSeconds(1) }, logs);

        Assert.Equal(0, summary.ConnectionsUp);
        Assert.Equal(0, summary.Sent);
        Assert.True(summary.ConnectFailures >= 6, $"{summary.ConnectFailures} failed attempts: each of the 3 should retry after its backoff");
        Assert.Contains(logs.Messages, m => m.Message.Contains("connection refused (is the server running?)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_connect_that_gets_no_answer_fails_after_the_connect_timeout_and_is_tried_again()
    {
        // A listener whose accept queue is full (backlog 1, two connections queued, none accepted): the kernel drops
        // every further SYN, so a connect neither succeeds nor fails until its timeout.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var endpoint = (IPEndPoint)listener.LocalEndPoint!;
        var fillers = new List<Socket>();
        try
        {
            while (true)
            {
                var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                fillers.Add(filler);
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
                wait.CancelAfter(TimeSpan.FromMilliseconds(500));
                try
                {
                    await filler.ConnectAsync(endpoint, wait.Token);
                }
                catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
                {
                    break; // this one was dropped: the queue is full
                }

                Assert.True(fillers.Count < 16, "the accept queue never filled");
            }

            var logs = new CapturingLoggerProvider();
            var started = Stopwatch.GetTimestamp();
            var summary = await RunAsync(
                Options($"127.0.0.1:{endpoint.Port}") with { Connections = 1, ConnectTimeout = TimeSpan.FromMilliseconds(300), Duration = TimeSpan.FromSeconds(1.5) },
                logs);

            Assert.Equal(0, summary.ConnectionsUp);
            Assert.True(summary.ConnectFailures >= 2, $"{summary.ConnectFailures} failed attempts in {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s");
            Assert.Contains(logs.Messages, m => m.Message.Contains("Cannot connect to", StringComparison.Ordinal) && m.Message.Contains("timed out", StringComparison.Ordinal));
        }
        finally
        {
            fillers.ForEach(f => f.Dispose());
        }
    }

    [Fact]
    public async Task A_listener_that_accepts_and_never_answers_the_hello_gets_no_value_before_the_hello_timeout()
    {
        // Plain servers read and never write: the client waits out its hello timeout, then sends without an answer.
        var helloTimeout = TimeSpan.FromMilliseconds(600);
        var silences = new System.Collections.Concurrent.ConcurrentBag<TimeSpan>();
        await using var server = FakeServer.Start(async (peer, _, stop) =>
        {
            var buffer = new byte[4096];
            var received = 0;
            var helloAt = 0L;
            int read;
            while ((read = await peer.ReceiveAsync(buffer.AsMemory(received), stop)) > 0)
            {
                received += read;
                var lines = buffer.AsSpan(0, received).Count((byte)'\n');
                if (lines >= 1 && helloAt == 0)
                {
                    helloAt = Stopwatch.GetTimestamp();
                }

                if (lines >= 2)
                {
                    silences.Add(Stopwatch.GetElapsedTime(helloAt)); // hello to first value (the hello's line may have come with it)
                    await FakeServer.SinkAsync(peer, stop);
                    return;
                }
            }
        });

        var logs = new CapturingLoggerProvider();
        var summary = await RunAsync(Options($"127.0.0.1:{server.Port}") with { Connections = 4, HelloTimeout = helloTimeout, Duration = TimeSpan.FromSeconds(1.5) }, logs);
        await server.StopAsync();

        Assert.Equal("plain", summary.AckMode);
        Assert.True(summary.Sent > 0, "nothing sent after the hello timeout");
        Assert.Equal(4, silences.Count);
        Assert.All(silences, s => Assert.True(s >= helloTimeout * 0.9, $"a value came {s.TotalMilliseconds:0} ms after the hello"));
        Assert.Single(logs.Messages, m => m.Message.Contains("does not answer the acknowledged-mode hello", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_server_that_closes_during_the_hello_is_connected_to_again_and_the_run_is_acknowledged()
    {
        var accepted = 0;
        await using var server = FakeServer.Start(async (peer, index, stop) =>
        {
            Interlocked.Increment(ref accepted);
            var buffer = new byte[4096];
            var received = 0;
            while (buffer.AsSpan(0, received).IndexOf((byte)'\n') < 0)
            {
                var read = await peer.ReceiveAsync(buffer.AsMemory(received), stop);
                if (read == 0)
                {
                    return;
                }

                received += read;
            }

            if (index == 0)
            {
                return; // the hello read, no answer: closed
            }

            await peer.SendAsync(Handshake.Ok.ToArray(), stop);
            await FakeServer.SinkAsync(peer, stop);
        });

        var logs = new CapturingLoggerProvider();
        var summary = await RunAsync(Options($"127.0.0.1:{server.Port}") with { Connections = 1, Duration = TimeSpan.FromSeconds(1.5), AckWait = TimeSpan.Zero }, logs);
        await server.StopAsync();

        Assert.Equal("ack", summary.AckMode);
        Assert.Equal(1, summary.ConnectionsUp);
        Assert.True(summary.Reconnects >= 1, $"{summary.Reconnects} reconnects");
        Assert.True(Volatile.Read(ref accepted) >= 2, $"{accepted} connections accepted");
        Assert.True(summary.Sent > 0, "nothing sent after the reconnect");
        Assert.Contains(logs.Messages, m => m.Message.Contains("the server closed the connection", StringComparison.Ordinal));
    }

    [Fact]
    public async Task After_the_server_restarts_on_its_port_every_connection_comes_back_and_every_value_sent_is_acknowledged_and_stored()
    {
        using var dir = new TempDirectory();
        var record = dir.File("sent.txt");
        var first = await ServerHarness.StartAsync(dir);
        var port = first.Endpoint.Port;
        var status = new LatestStatus();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

        // The restarted server holds its write point at the file's end for --resume-grace (README, Restart): the last
        // acknowledgements come after it, whenever the stop comes.
        var ackWait = TimeSpan.FromMilliseconds(first.Options.Ordering.ResumeGraceMs) + Within.Short;
        var run = LoadClient.RunAsync(
            Options($"127.0.0.1:{port}") with { Connections = 20, Duration = null, RecordPath = record, StatusInterval = TimeSpan.FromMilliseconds(100), AckWait = ackWait },
            status,
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance,
            stop.Token);
        ServerHarness? second = null;
        try
        {
            Assert.True(await Within.PollAsync(() => status.Latest is { Up: 20, Sent: > 100 }, Within.Short), $"not all up: {status.Latest}");
            await first.StopAsync();
            await first.DisposeAsync();

            second = await ServerHarness.StartAsync(dir, o => o with { Listen = [new IPEndPoint(IPAddress.Loopback, port)] });
            Assert.True(
                await Within.PollAsync(() => status.Latest is { Up: 20, Reconnects: >= 20 } s && s.Sent > 200, Within.Short),
                $"not all back: {status.Latest}");
        }
        finally
        {
            await stop.CancelAsync();
        }

        var summary = await run.WaitAsync(Within.Long, TestContext.Current.CancellationToken);
        await second!.StopAsync();
        await second.DisposeAsync();

        Assert.True(summary.Reconnects >= 20, $"{summary.Reconnects} reconnects");
        Assert.Equal(20, summary.ConnectionsUp);
        Assert.Equal("ack", summary.AckMode);
        Assert.Equal(0, summary.Unacked);
        Assert.Equal(summary.Sent, summary.Acked);
        var report = TimestampVerifier.Verify(second.Output, unique: true, record);
        Assert.True(report.Passed, EndToEndTests.VerifyText(report));
        Assert.Equal(0, report.Missing);
    }

    [Fact]
    public async Task A_server_on_the_IPv6_loopback_is_connected_to_greeted_and_acknowledges()
    {
        Assert.SkipUnless(Socket.OSSupportsIPv6, "no IPv6 on this machine");
        using var listener = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        }
        catch (SocketException)
        {
            Assert.Skip("no IPv6 loopback address on this machine");
        }

        listener.Listen(16);
        var serving = Task.Run(async () =>
        {
            using var peer = await listener.AcceptAsync(TestContext.Current.CancellationToken);
            var buffer = new byte[4096];
            var received = 0;
            while (buffer.AsSpan(0, received).IndexOf((byte)'\n') < 0)
            {
                received += await peer.ReceiveAsync(buffer.AsMemory(received), TestContext.Current.CancellationToken);
            }

            await peer.SendAsync(Handshake.Ok.ToArray(), TestContext.Current.CancellationToken);
            await FakeServer.SinkAsync(peer, TestContext.Current.CancellationToken);
        }, TestContext.Current.CancellationToken);

        var summary = await RunAsync(
            Options("127.0.0.1:1") with { Host = "::1", Port = ((IPEndPoint)listener.LocalEndPoint!).Port, Connections = 1, Duration = TimeSpan.FromSeconds(0.5), AckWait = TimeSpan.Zero },
            new CapturingLoggerProvider());
        await serving.WaitAsync(Within.Short, TestContext.Current.CancellationToken);

        Assert.Equal("ack", summary.AckMode);
        Assert.Equal(1, summary.ConnectionsUp);
        Assert.Equal(0, summary.ConnectFailures);
        Assert.True(summary.Sent > 0, "nothing sent");
    }

    private static ClientOptions Options(string server)
    {
        var colon = server.LastIndexOf(':');
        return new ClientOptions
        {
            Host = server[..colon],
            Port = int.Parse(server[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture),
            ReconnectMin = TimeSpan.FromMilliseconds(50),
            ReconnectMax = TimeSpan.FromMilliseconds(200),
            StatusInterval = TimeSpan.Zero,
        };
    }

    private static async Task<ClientSummary> RunAsync(ClientOptions options, CapturingLoggerProvider logs)
    {
        using var factory = LoggerFactory.Create(l => l.AddProvider(logs));
        return await LoadClient.RunAsync(options, null, factory.CreateLogger("test"), TestContext.Current.CancellationToken)
            .WaitAsync(Within.Long, TestContext.Current.CancellationToken);
    }

    /// <summary>The client's latest status, as it reports it.</summary>
    private sealed class LatestStatus : IProgress<ClientStatus>
    {
        private ClientStatus? _latest;

        public ClientStatus? Latest => Volatile.Read(ref _latest);

        public void Report(ClientStatus value) => Volatile.Write(ref _latest, value);
    }
}
