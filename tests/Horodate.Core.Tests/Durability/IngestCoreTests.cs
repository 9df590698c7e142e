using System.Text;
using Horodate.Core.Durability;
using Horodate.Core.Ordering;
using Horodate.Simulation;

namespace Horodate.Core.Tests.Durability;

/// <summary>
/// The durable path's decisions, driven step by step on the simulator's file system and clock: what is
/// acknowledged, when, and what happens to an acknowledgement that a write, a sync or a socket lost.
/// </summary>
public sealed class IngestCoreTests
{
    private const string Output = "/t/out.txt";

    private sealed class Target : IAckTarget
    {
        public List<long> Delivered { get; } = [];

        public int Refuse { get; set; }

        public bool TryDeliver(long value)
        {
            if (Refuse > 0)
            {
                Refuse--;
                return false;
            }

            Delivered.Add(value);
            return true;
        }

        public bool TryDeliverFinal(long value)
        {
            if (Refuse > 0)
            {
                Refuse--;
                return false;
            }

            Final = value;
            return true;
        }

        /// <summary>The final acknowledgement taken (-1: taken with no line), or null.</summary>
        public long? Final { get; private set; }
    }

    private static (IngestCore Core, SimFileSystem Files, SimClock Clock) Open(bool dedupe, long syncIntervalMs = 0)
    {
        var files = new SimFileSystem(new SimRandom(1));
        var clock = new SimClock();
        var options = new IngestOptions
        {
            Output = Output,
            SyncIntervalMs = syncIntervalMs,
            Ordering = new OrderingOptions { Dedupe = dedupe, MaxDelayMs = 500, MaxFutureMs = 1_000, IdleTimeoutMs = 100 },
        };
        return (IngestCore.Open(options, files, clock, NullEvents.Instance), files, clock);
    }

    private static long[] MainValues(SimFileSystem files) =>
        Encoding.ASCII.GetString(files.Content(Output)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToArray();

    /// <summary>
    /// What the files hold at start is what resends are recognised against, and acknowledged as stored: in dedupe
    /// mode too it must be made durable before anything else happens. Written but never synced (the page cache
    /// outlived a killed server), it would otherwise vanish at a power loss after the acknowledgement.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void What_the_files_hold_at_start_is_made_durable_before_anything_is_acknowledged_against_it(bool dedupe)
    {
        var lost = 0;
        for (ulong seed = 1; seed <= 20; seed++)
        {
            var files = new SimFileSystem(new SimRandom(seed));
            using (var main = files.Open(Output))
            {
                main.Write(0, "1000\n1001\n"u8); // left by the killed server, never synced
            }

            using (var late = files.Open(Output + ".late"))
            {
                late.Write(0, "900\n"u8);
            }

            var options = new IngestOptions
            {
                Output = Output,
                Ordering = new OrderingOptions { Dedupe = dedupe, MaxDelayMs = 500, MaxFutureMs = 1_000, IdleTimeoutMs = 100 },
            };
            _ = IngestCore.Open(options, files, new SimClock(), NullEvents.Instance);
            files.PowerLoss(); // only what was synced is sure to survive
            if (Encoding.ASCII.GetString(files.Content(Output)) != "1000\n1001\n" || Encoding.ASCII.GetString(files.Content(Output + ".late")) != "900\n")
            {
                lost++;
            }
        }

        Assert.Equal(0, lost);
    }

    /// <summary>Issue 12 §3: the writer may sleep only when a flush has nothing to do now and nothing to come.</summary>
    [Fact]
    public void The_core_is_quiescent_only_with_no_source_open_and_nothing_left_to_write_or_sync()
    {
        var (core, files, clock) = Open(dedupe: true);
        Assert.True(core.Quiescent); // nothing connected: no deadline, the writer may sleep

        var source = core.OpenSource();
        Assert.False(core.Quiescent); // a silent source holds the watermark until its idle expiry
        core.Ingest(source, [clock.WallMs - 10]);
        core.CloseSource(source);
        Assert.False(core.Quiescent); // a value waits to be written

        clock.Advance(600); // past MaxDelay (500 ms)
        Assert.True(core.Flush(final: false));
        Assert.Equal([clock.WallMs - 610], MainValues(files));
        Assert.True(core.Quiescent); // written: nothing more to come
    }

    /// <summary>Issue 10 defect 4: the first flush with an acknowledged client, its write failing.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void No_acknowledgement_covers_a_value_before_it_is_in_the_file(bool keepDuplicates)
    {
        var (core, files, clock) = Open(dedupe: !keepDuplicates);
        var target = new Target();
        var source = core.OpenSource();
        core.EnableAcks(source, "a", target);
        core.Ingest(source, [clock.WallMs - 400, clock.WallMs - 399]);

        clock.Advance(200); // older than MaxDelay (500 ms): the next flush writes them
        files.FailingPath = Output;
        Assert.False(core.Flush(final: false));
        while (core.RunSync())
        {
        }

        Assert.Empty(MainValues(files));
        Assert.Empty(target.Delivered);
        Assert.DoesNotContain("C a", Encoding.ASCII.GetString(files.Content(Output + ".clients")), StringComparison.Ordinal);
    }

    /// <summary>Issue 10 defect 7: an acknowledgement lost to a failed write is sent once the write works.</summary>
    [Fact]
    public void An_acknowledgement_held_back_by_a_failed_write_is_sent_once_the_write_works()
    {
        var (core, files, clock) = Open(dedupe: true);
        var target = new Target();
        var source = core.OpenSource();
        core.EnableAcks(source, "a", target);
        core.Ingest(source, [clock.WallMs - 400, clock.WallMs - 300]);

        clock.Advance(200); // both values older than MaxDelay (500 ms): written whatever holds the watermark
        files.FailingPath = Output;
        Assert.False(core.Flush(final: false));
        _ = core.RunSync();
        Assert.Empty(target.Delivered);

        files.FailingPath = null;
        clock.Advance(10);
        Assert.True(core.Flush(final: false));
        Assert.True(core.RunSync());
        Assert.Equal([clock.WallMs - 610, clock.WallMs - 510], MainValues(files));
        Assert.Equal([clock.WallMs - 510], target.Delivered);
    }

    /// <summary>
    /// Issue 10 defect 7: an acknowledgement lost to a failed journal write (not an fsync: a failed fsync is fatal) is
    /// sent after the next sync that works.
    /// </summary>
    [Fact]
    public void An_acknowledgement_held_back_by_a_failed_journal_write_is_sent_after_the_next_sync()
    {
        var (core, files, clock) = Open(dedupe: false);
        var target = new Target();
        var source = core.OpenSource();
        core.EnableAcks(source, "a", target);
        var value = clock.WallMs - 400;
        core.Ingest(source, [value]);
        clock.Advance(200);
        Assert.True(core.Flush(final: false)); // the journal's first record (acknowledged clients connected) is written in place
        files.FailingPath = Output + ".clients";
        Assert.True(core.RunSync());
        Assert.Empty(target.Delivered);

        files.FailingPath = null;
        clock.Advance(10);
        Assert.True(core.Flush(final: false)); // nothing new to write: the acknowledgement alone rides again
        Assert.True(core.RunSync());
        Assert.Equal([value], target.Delivered);
    }

    /// <summary>Issue 10 defect 7: an acknowledgement a full socket buffer refused (EAGAIN) is offered again.</summary>
    [Fact]
    public void An_acknowledgement_the_socket_refused_is_offered_again_until_it_is_taken()
    {
        var (core, _, clock) = Open(dedupe: true);
        var target = new Target { Refuse = 2 };
        var source = core.OpenSource();
        core.EnableAcks(source, "a", target);
        var value = clock.WallMs - 400;
        core.Ingest(source, [value]);
        for (var i = 0; i < 4; i++)
        {
            clock.Advance(200);
            _ = core.Flush(final: false);
            _ = core.RunSync();
        }

        Assert.Equal([value], target.Delivered); // taken on the third offer, then not repeated
    }

    /// <summary>Issue 9 §3: a client that half-closed waits for one sync, not for the sync interval.</summary>
    [Fact]
    public void A_finished_client_gets_one_final_acknowledgement_covering_all_it_sent_without_waiting_the_sync_interval()
    {
        var (core, files, clock) = Open(dedupe: true, syncIntervalMs: 60_000);
        var target = new Target();
        var source = core.OpenSource();
        core.EnableAcks(source, "a", target);
        long[] sent = [clock.WallMs - 20, clock.WallMs - 10];
        core.Ingest(source, sent);
        clock.Advance(10);
        Assert.True(core.Flush(final: false));
        Assert.False(core.RunSync()); // still sending, it holds the write point: nothing to sync before the interval

        core.FinishSource(source);
        clock.Advance(10);
        Assert.True(core.Flush(final: false));
        Assert.True(core.RunSync()); // a minute before the interval is out
        Assert.Equal(sent, MainValues(files));
        Assert.Equal(sent[^1], target.Final);
        Assert.Empty(target.Delivered); // the final one alone, not also as an ordinary one

        clock.Advance(60_000);
        Assert.True(core.Flush(final: false));
        _ = core.RunSync();
        Assert.Empty(target.Delivered); // ended: nothing more is sent
    }

    /// <summary>Issue 9 §3: the final acknowledgement covers the last value, so it waits until that is written.</summary>
    [Fact]
    public void A_final_acknowledgement_waits_until_the_finished_clients_last_value_is_written()
    {
        var (core, files, clock) = Open(dedupe: true);
        var target = new Target();
        var holder = core.OpenSource();
        core.Ingest(holder, [clock.WallMs - 300]);
        var source = core.OpenSource();
        core.EnableAcks(source, "a", target);
        var last = clock.WallMs - 100;
        core.Ingest(source, [last]);
        core.FinishSource(source);
        clock.Advance(10);
        Assert.True(core.Flush(final: false));
        _ = core.RunSync();
        Assert.Null(target.Final); // the other source holds the write point below its last value

        clock.Advance(200); // the other source idles out (100 ms): the write point passes the last value
        Assert.True(core.Flush(final: false));
        _ = core.RunSync();
        Assert.Equal(last, MainValues(files)[^1]);
        Assert.Equal(last, target.Final);
    }

    /// <summary>Issue 9 §3 with issue 10 defect 7: a final acknowledgement lost to a failed sync is not dropped.</summary>
    [Fact]
    public void A_final_acknowledgement_held_back_by_a_failed_journal_write_is_sent_after_the_next_sync()
    {
        var (core, files, clock) = Open(dedupe: false, syncIntervalMs: 50);
        var target = new Target();
        var source = core.OpenSource();
        core.EnableAcks(source, "a", target);
        var value = clock.WallMs - 10;
        core.Ingest(source, [value]);
        core.FinishSource(source);
        clock.Advance(10);
        Assert.True(core.Flush(final: false)); // the journal's first record is written in place
        files.FailingPath = Output + ".clients";
        Assert.True(core.RunSync());
        Assert.Null(target.Final);

        files.FailingPath = null;
        clock.Advance(50); // offered again at the next sync, on the interval
        Assert.True(core.Flush(final: false));
        Assert.True(core.RunSync());
        Assert.Equal(value, target.Final);
    }

    /// <summary>Issue 9 §3 with issue 10 defect 7: a final acknowledgement the socket refused is offered again; none is owed by a client that sent nothing.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_final_acknowledgement_the_socket_refused_is_offered_again_until_it_is_taken(bool sentSome)
    {
        var (core, _, clock) = Open(dedupe: false);
        var target = new Target { Refuse = 2 };
        var source = core.OpenSource();
        core.EnableAcks(source, "a", target);
        var value = clock.WallMs - 10;
        if (sentSome)
        {
            core.Ingest(source, [value]);
        }

        core.FinishSource(source);
        for (var i = 0; i < 4; i++)
        {
            clock.Advance(10);
            _ = core.Flush(final: false);
            _ = core.RunSync();
        }

        Assert.Equal(sentSome ? value : -1, target.Final); // -1: the end of the connection, with no line
        Assert.Empty(target.Delivered);
    }
}

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

/// <summary>Issue 10 defects 2 and 8: the engine's timeouts on the monotonic clock; the resume grace.</summary>
public sealed class EngineTimeTests
{
    private sealed class Recorder : IOrderedOutput
    {
        public List<long> Written { get; } = [];

        public List<long> Late { get; } = [];

        public void Write(long value, int count) => Written.Add(value);

        public void WriteLate(long value) => Late.Add(value);
    }

    private static readonly OrderingOptions Options = new();

    [Fact]
    public void A_wall_clock_step_forward_beyond_the_idle_timeout_does_not_expire_the_sources()
    {
        var output = new Recorder();
        const long Wall = 1_700_000_000_000;
        var engine = new OrderingEngine(Options, output, null, new EngineTime(Wall, 0), resumed: false);
        var fast = engine.OpenSource(new EngineTime(Wall, 0));
        var slow = engine.OpenSource(new EngineTime(Wall, 0));
        engine.Ingest(fast, [Wall + 100], new EngineTime(Wall, 0));
        engine.Ingest(slow, [Wall + 10], new EngineTime(Wall, 0));

        // The wall clock jumps an hour ahead, 10 ms of real time later.
        var jumped = new EngineTime(Wall + 3_600_000, 10);
        engine.Advance(jumped);
        engine.Ingest(slow, [Wall + 50], jumped);
        engine.Advance(jumped);

        Assert.Equal(2, engine.ActiveSources); // neither expired
        Assert.Empty(output.Late); // the slow source still held the watermark: its value is in order
        Assert.Equal([Wall + 10], output.Written); // and still holds it at its high
    }

    [Fact]
    public void A_wall_clock_step_back_does_not_freeze_the_idle_timeout()
    {
        var output = new Recorder();
        const long Wall = 1_700_000_000_000;
        var engine = new OrderingEngine(Options, output, null, new EngineTime(Wall, 0), resumed: false);
        var silent = engine.OpenSource(new EngineTime(Wall, 0));
        var talking = engine.OpenSource(new EngineTime(Wall, 0));
        engine.Ingest(silent, [Wall], new EngineTime(Wall, 0));
        engine.Ingest(talking, [Wall + 1], new EngineTime(Wall, 0));

        // The wall clock steps back 5 s; real time goes on past the idle timeout.
        var later = new EngineTime(Wall - 5_000, Options.IdleTimeoutMs + 10);
        engine.Ingest(talking, [Wall + 2], later);
        engine.Advance(later);

        Assert.Equal(1, engine.ActiveSources); // the silent one expired on time
        Assert.Contains(Wall + 1, output.Written);
    }

    [Theory]
    [InlineData(1_000)]
    [InlineData(9_000)]
    [InlineData(20_000)]
    public void After_an_outage_within_the_bound_the_resends_land_in_order_not_in_late(long outageMs)
    {
        var output = new Recorder();
        const long Last = 1_700_000_000_000;
        var restart = new EngineTime(Last + outageMs, 0);
        var engine = new OrderingEngine(Options, output, Last, restart, resumed: true);
        Assert.True(engine.CoveredOutageMs >= 20_000, $"covered outage {engine.CoveredOutageMs} ms");

        // A client reconnects with backoff (6 s) and resends what it sent since the file's last value.
        var reconnect = new EngineTime(Last + outageMs + 6_000, 6_000);
        engine.Advance(reconnect);
        var source = engine.OpenSource(reconnect);
        var resends = Enumerable.Range(1, 100).Select(i => Last + (i * 50)).Where(v => v < Last + outageMs).ToArray();
        engine.Ingest(source, resends, reconnect);
        engine.Ingest(source, [reconnect.WallMs], reconnect);
        engine.CloseSource(source);
        engine.Advance(new EngineTime(reconnect.WallMs + 2_000, 8_000));

        Assert.Empty(output.Late);
        Assert.Equal([.. resends, reconnect.WallMs], output.Written);
    }
}
