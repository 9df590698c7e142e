using System.Text;
using Horodate.Core.Durability;
using Horodate.Core.Ordering;
using Horodate.Core.Tests.Support;
using Horodate.Simulation;

namespace Horodate.Core.Tests.Durability;

/// <summary>
/// The durable path's decisions, driven step by step on the simulator's file system and clock: what is
/// acknowledged, when, and what happens to an acknowledgement that a write, a sync or a socket lost.
/// </summary>
public sealed class IngestCoreTests
{
    private const string Output = "/t/out.txt";

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
    public void The_core_is_quiescent_only_with_no_source_active_and_nothing_left_to_write_or_sync()
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

        var silent = core.OpenSource();
        Assert.False(core.Quiescent); // open and active: its idle expiry is still to come
        clock.Advance(150); // past the idle timeout (100 ms)
        Assert.True(core.Flush(final: false));
        Assert.True(core.Quiescent); // open but silent past the idle timeout: it holds nothing, nothing is to come
        core.CloseSource(silent);
    }

    /// <summary>Issue 10 defect 4: the first flush with an acknowledged client, its write failing.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void No_acknowledgement_covers_a_value_before_it_is_in_the_file(bool keepDuplicates)
    {
        var (core, files, clock) = Open(dedupe: !keepDuplicates);
        var target = new RecordingAckTarget();
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
        var target = new RecordingAckTarget();
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
        var target = new RecordingAckTarget();
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
        var target = new RecordingAckTarget { Refuse = 2 };
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
        var target = new RecordingAckTarget();
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
        var target = new RecordingAckTarget();
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
        var target = new RecordingAckTarget();
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
        var target = new RecordingAckTarget { Refuse = 2 };
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
