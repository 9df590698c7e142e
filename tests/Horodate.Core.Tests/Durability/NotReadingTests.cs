using System.Text;
using Horodate.Core.Durability;
using Horodate.Core.Ordering;
using Horodate.Simulation;

namespace Horodate.Core.Tests.Durability;

/// <summary>
/// Torture findings §3: while the server does not read (writes fail and the transports push back, or the process is
/// stopped), the clients' values wait in the socket buffers. That time is nobody's silence or lag: once the server
/// reads again, those values must still land in order in the main file, not in <c>.late</c>.
/// </summary>
public sealed class NotReadingTests
{
    private const string Output = "/t/out.txt";

    /// <summary>Two clients, 10 ms apart, their clocks 3 ms apart; what they sent waits until the server reads.</summary>
    private sealed class Clients(IngestCore core, SimClock clock)
    {
        private readonly int[] _sources = [core.OpenSource(), core.OpenSource()];
        private readonly List<long>[] _unread = [[], []];

        public List<long> Sent { get; } = [];

        public void Send()
        {
            for (var i = 0; i < _sources.Length; i++)
            {
                var value = clock.WallMs - (3 * i);
                _unread[i].Add(value);
                Sent.Add(value);
            }
        }

        /// <summary>What a transport does: reads what the sockets hold, unless writes fail (backpressure).</summary>
        public void Read()
        {
            if (core.Backpressured)
            {
                return;
            }

            for (var i = 0; i < _sources.Length; i++)
            {
                core.Ingest(_sources[i], [.. _unread[i]]);
                _unread[i].Clear();
            }
        }
    }

    private static (IngestCore Core, SimFileSystem Files, SimClock Clock) Open(bool dedupe)
    {
        var files = new SimFileSystem(new SimRandom(1));
        var clock = new SimClock();
        var options = new IngestOptions
        {
            Output = Output,
            Ordering = new OrderingOptions { Dedupe = dedupe, IdleTimeoutMs = 100, MaxDelayMs = 500, MaxFutureMs = 1_000 },
            StallGapMs = IngestOptions.StallGapFor(new OrderingOptions { IdleTimeoutMs = 100 }, flushIntervalMs: 10), // as the server's pipeline
        };
        return (IngestCore.Open(options, files, clock, NullEvents.Instance), files, clock);
    }

    private static long[] Values(SimFileSystem files, string path) =>
        Encoding.ASCII.GetString(files.Content(path)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToArray();

    private static void Run(Clients clients, IngestCore core, SimClock clock, long ms, bool send = true, bool read = true, bool flush = true)
    {
        for (var end = clock.MonoMs + ms; clock.MonoMs < end;)
        {
            clock.Advance(10);
            if (send)
            {
                clients.Send();
            }

            if (read)
            {
                clients.Read();
            }

            if (flush)
            {
                _ = core.Flush(final: false);
            }
        }
    }

    private static void AssertAllInOrder(Clients clients, SimFileSystem files, bool dedupe)
    {
        Assert.Empty(Values(files, Output + ".late"));
        var expected = clients.Sent.Order();
        Assert.Equal(dedupe ? expected.Distinct() : expected, Values(files, Output));
    }

    [Theory]
    [InlineData(true, 600)] // beyond the max-delay (500 ms)
    [InlineData(false, 600)]
    [InlineData(true, 3_000)] // six times the max-delay, thirty times the idle timeout
    public void Values_sent_while_the_disk_was_full_land_in_order_once_it_has_room(bool dedupe, long fullMs)
    {
        var (core, files, clock) = Open(dedupe);
        var clients = new Clients(core, clock);
        Run(clients, core, clock, 300);

        files.Capacity = files.Used; // the disk is full: writes fail, the server stops reading, the clients' sends queue
        Run(clients, core, clock, fullMs);
        Assert.True(core.Backpressured);

        files.Capacity = long.MaxValue;
        Run(clients, core, clock, 300);
        Assert.True(core.Flush(final: true));
        AssertAllInOrder(clients, files, dedupe);
    }

    [Theory]
    [InlineData(true, 2_000)]
    [InlineData(false, 2_000)]
    public void Values_sent_while_the_server_process_was_stopped_land_in_order(bool dedupe, long stoppedMs)
    {
        var (core, files, clock) = Open(dedupe);
        var clients = new Clients(core, clock);
        Run(clients, core, clock, 300);

        // SIGSTOP: no read, no flush; the clients go on sending. SIGCONT: the writer thread happens to run first.
        Run(clients, core, clock, stoppedMs, read: false, flush: false);
        Assert.True(core.Flush(final: false));
        Run(clients, core, clock, 300);
        Assert.True(core.Flush(final: true));
        AssertAllInOrder(clients, files, dedupe);
    }
}
