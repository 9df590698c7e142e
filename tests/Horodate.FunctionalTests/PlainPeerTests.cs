using System.Diagnostics;
using Horodate.Core.Protocol;
using Horodate.Core.Verification;
using Horodate.FunctionalTests.Support;
using Horodate.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace Horodate.FunctionalTests;

/// <summary>Peers that are not horodate-client, against the epoll transport.</summary>
public sealed class EpollPlainPeerTests() : PlainPeerTests(TransportKind.Epoll);

/// <summary>Peers that are not horodate-client, against the Kestrel transport.</summary>
public sealed class KestrelPlainPeerTests() : PlainPeerTests(TransportKind.Kestrel);

/// <summary>Peers that are not horodate-client: a Perl script like the statement's, nc-style raw sockets, hostile ones.</summary>
public abstract class PlainPeerTests(TransportKind transport)
{
    /// <summary>Values near the server's clock: far older ones would be late, far newer ones rejected.</summary>
    private readonly long _t = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private const string PerlClient = """
        use strict;
        use warnings;
        use IO::Socket::INET;
        use Time::HiRes qw(time sleep);

        my ($port, $count) = @ARGV;
        my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp')
            or die "cannot connect: $!";
        $sock->autoflush(1);
        for (1 .. $count) {
            my $ms = int(time * 1000);
            print $sock "$ms\n";
            print STDOUT "$ms\n";
            sleep(0.05);
        }
        close $sock;
        """;

    [Fact]
    public async Task A_plain_perl_client_written_like_the_statement_works()
    {
        using var dir = new TempDirectory();
        await using var harness = await ServerHarness.StartAsync(dir, o => o with { Transport = transport });
        var script = dir.File("client.pl");
        await File.WriteAllTextAsync(script, PerlClient, TestContext.Current.CancellationToken);

        var sent = await RunPerlAsync(script, harness.Endpoint.Port, 20);
        await harness.StopAsync();

        Assert.Equal(20, sent.Length);
        Assert.Equal(sent.Distinct().Order(), harness.ReadOutput());
    }

    [Fact]
    public async Task Garbage_between_good_lines_is_rejected_counted_and_logged_and_the_good_lines_are_kept()
    {
        using var dir = new TempDirectory();
        await using var harness = await ServerHarness.StartAsync(dir, o => o with { Transport = transport });
        await using (var peer = await RawPeer.ConnectAsync(harness.Endpoint))
        {
            await peer.SendAsync($"{_t}\nhello\n-5\n{new string('9', 100)}\n{_t + 1}\r\n\n1.5\nGET / HTTP/1.1\r\n{_t + 2}\n{_t + 3}");
            peer.Finish();
            Assert.Equal(0, await peer.ReadUntilClosedAsync(Within.Short)); // the server never writes to a plain client
        }

        var summary = await harness.StopAsync();

        Assert.Equal([_t, _t + 1, _t + 2], harness.ReadOutput()); // T+3 had no newline: never a value
        Assert.Equal(6, summary.RejectedLines);
        Assert.Contains(harness.Logs.Messages, m => m.Level == LogLevel.Warning && m.Message.Contains("rejected line"));
    }

    [Fact]
    public async Task A_peer_that_only_sends_garbage_is_disconnected_while_others_are_served()
    {
        using var dir = new TempDirectory();
        await using var harness = await ServerHarness.StartAsync(dir, o => o with { Transport = transport });
        await using var good = await RawPeer.ConnectAsync(harness.Endpoint);
        await using var bad = await RawPeer.ConnectAsync(harness.Endpoint);

        await good.SendAsync($"{_t}\n");
        await bad.SendAsync(string.Concat(Enumerable.Repeat("not a number\n", LineDecoder.MaxConsecutiveRejects)));
        await bad.ReadUntilClosedAsync(Within.Short);
        await good.SendAsync($"{_t + 1}\n");
        good.Finish();
        await good.ReadUntilClosedAsync(Within.Short);

        var summary = await harness.StopAsync();
        Assert.Equal([_t, _t + 1], harness.ReadOutput());
        Assert.Equal(1, summary.ConnectionsClosedForGarbage);
    }

    [Fact]
    public async Task A_peer_that_sends_kilobytes_without_a_newline_is_disconnected()
    {
        using var dir = new TempDirectory();
        await using var harness = await ServerHarness.StartAsync(dir, o => o with { Transport = transport });
        await using var peer = await RawPeer.ConnectAsync(harness.Endpoint);

        await peer.SendAsync(new byte[LineDecoder.MaxBytesWithoutNewline + 1024]);
        await peer.ReadUntilClosedAsync(Within.Short);

        var summary = await harness.StopAsync();
        Assert.Equal(1, summary.ConnectionsClosedForGarbage);
        Assert.Empty(harness.ReadOutput());
    }

    [Fact]
    public async Task A_line_sent_one_byte_at_a_time_is_one_value()
    {
        using var dir = new TempDirectory();
        await using var harness = await ServerHarness.StartAsync(dir, o => o with { Transport = transport });
        await using (var peer = await RawPeer.ConnectAsync(harness.Endpoint))
        {
            foreach (var c in $"{_t}\r\n")
            {
                await peer.SendAsync(c.ToString());
            }

            peer.Finish();
            await peer.ReadUntilClosedAsync(Within.Short);
        }

        await harness.StopAsync();
        Assert.Equal([_t], harness.ReadOutput());
    }

    [Fact]
    public async Task A_peer_that_sends_half_a_line_and_goes_silent_is_closed_after_the_read_timeout()
    {
        using var dir = new TempDirectory();
        await using var harness = await ServerHarness.StartAsync(dir, o => o with { Transport = transport, ReadTimeout = TimeSpan.FromMilliseconds(300) });
        await using var slow = await RawPeer.ConnectAsync(harness.Endpoint);
        await using var good = await RawPeer.ConnectAsync(harness.Endpoint);

        await good.SendAsync($"{_t}\n");
        await slow.SendAsync($"{_t + 1}"[..6]); // half a value, no newline, then nothing
        await slow.ReadUntilClosedAsync(Within.Short);
        var summary = await harness.StopAsync();

        Assert.Equal([_t], harness.ReadOutput());
        Assert.True(summary.ConnectionsClosedIdle >= 1, $"closed idle: {summary.ConnectionsClosedIdle}"); // the good peer may go idle too
        Assert.True(summary.RejectedLines >= 1); // the half line, counted as truncated
        Assert.Contains(harness.Logs.Messages, m => m.Message.Contains("silent for"));
    }

    [Fact]
    public async Task Connections_beyond_the_maximum_are_refused_and_counted_while_the_others_are_served()
    {
        using var dir = new TempDirectory();
        await using var harness = await ServerHarness.StartAsync(dir, o => o with { Transport = transport, MaxConnections = 2 });
        await using var first = await RawPeer.ConnectAsync(harness.Endpoint);
        await using var second = await RawPeer.ConnectAsync(harness.Endpoint);
        await first.SendAsync($"{_t}\n");
        await second.SendAsync($"{_t}\n");
        Assert.True(await Within.PollAsync(() => harness.Server.Summary.Received == 2, Within.Short)); // both admitted

        await RawPeer.ExpectRefusedAsync(harness.Endpoint, $"{_t + 5}\n"); // the third: refused, closed at once
        await first.SendAsync($"{_t + 1}\n");
        first.Finish();
        await first.ReadUntilClosedAsync(Within.Short);

        var summary = await harness.StopAsync();
        Assert.Equal(1, summary.ConnectionsRefused);
        Assert.Equal([_t, _t + 1], harness.ReadOutput());
        Assert.Contains(harness.Logs.Messages, m => m.Level == LogLevel.Warning && m.Message.Contains("maximum of 2 connections"));
    }

    [Fact]
    public async Task Peers_outside_the_allowed_networks_are_refused_and_counted()
    {
        using var dir = new TempDirectory();
        await using var harness = await ServerHarness.StartAsync(dir, o => o with
        {
            Transport = transport,
            Allow = [System.Net.IPNetwork.Parse("10.0.0.0/8")],
        });
        await RawPeer.ExpectRefusedAsync(harness.Endpoint, $"{_t}\n");

        var summary = await harness.StopAsync();
        Assert.Equal(1, summary.ConnectionsRefused);
        Assert.Equal(0, summary.Received);
        Assert.Empty(harness.ReadOutput());
    }

    [Fact]
    public async Task A_peer_that_never_reads_its_acknowledgements_slows_nobody_down()
    {
        using var dir = new TempDirectory();
        await using var harness = await ServerHarness.StartAsync(dir, o => o with { Transport = transport, SyncInterval = TimeSpan.FromMilliseconds(1) });
        var record = dir.File("sent.txt");

        // The deaf peer: asks for acknowledgements, reads none of them, with a receive buffer as small as Linux allows.
        using var deaf = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { ReceiveBufferSize = 1024 };
        await deaf.ConnectAsync(harness.Endpoint, TestContext.Current.CancellationToken).AsTask().WaitAsync(Within.Short, TestContext.Current.CancellationToken);
        await deaf.SendAsync("HELLO horodate/1 ack id=deaf\n"u8.ToArray()).WaitAsync(Within.Short, TestContext.Current.CancellationToken);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var deafSent = 0;
        var flooding = Task.Run(async () =>
        {
            for (long value = 0; !stop.IsCancellationRequested; deafSent++)
            {
                value = Math.Max(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), value + 1); // the clock, as a client sends it
                await deaf.SendAsync(System.Text.Encoding.ASCII.GetBytes($"{value}\n"));
                await Task.Delay(1);
            }
        }, TestContext.Current.CancellationToken);

        var client = await TestClient.RunFiftyAsync(harness, aligned: false, record, TimeSpan.FromSeconds(3));
        await stop.CancelAsync();
        await flooding.WaitAsync(Within.Short, TestContext.Current.CancellationToken);
        deaf.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        var summary = await harness.StopAsync();

        Assert.Equal(client.Sent, client.Acked); // the others were acknowledged as usual
        Assert.Equal(client.Sent + deafSent, summary.Received);
        Assert.Equal(0, summary.Late);
        Assert.True(TimestampVerifier.Verify(harness.Output, unique: true, record).Missing == 0);
    }

    private static async Task<long[]> RunPerlAsync(string script, int port, int count)
    {
        var start = new ProcessStartInfo("perl", [script, port.ToString(), count.ToString()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var perl = Process.Start(start)!;
        var output = perl.StandardOutput.ReadToEndAsync();
        var errors = perl.StandardError.ReadToEndAsync();
        await perl.WaitForExitAsync().WaitAsync(Within.Long, TestContext.Current.CancellationToken);
        Assert.True(perl.ExitCode == 0, await errors);
        return (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToArray();
    }
}
