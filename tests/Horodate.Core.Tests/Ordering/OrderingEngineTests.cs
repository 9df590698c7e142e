using Horodate.Core.Ordering;
using Horodate.Core.Tests.Support;

namespace Horodate.Core.Tests.Ordering;

public sealed class OrderingEngineTests
{
    private const long T0 = 1_732_200_000_000;

    private static (OrderingEngine Engine, RecordingOutput Output) Create(OrderingOptions? options = null, long? lastWritten = null, long now = T0)
    {
        var output = new RecordingOutput();
        return (new OrderingEngine(options ?? new OrderingOptions(), output, lastWritten, now), output);
    }

    [Fact]
    public void Writes_a_value_only_once_every_active_source_has_moved_past_it()
    {
        var (engine, output) = Create();
        var a = engine.OpenSource(T0);
        var b = engine.OpenSource(T0);

        engine.Ingest(a, [T0 + 10, T0 + 20], T0 + 20);
        engine.Advance(T0 + 20);
        Assert.Empty(output.Written); // b still holds W at its open time, T0

        engine.Ingest(b, [T0 + 15], T0 + 21);
        engine.Advance(T0 + 21);
        Assert.Equal([T0 + 10], output.Written); // W = 15: 10 < 15 goes, 15 waits (b may send 15 again)

        engine.Ingest(b, [T0 + 30], T0 + 30);
        engine.Advance(T0 + 30);
        Assert.Equal([T0 + 10, T0 + 15], output.Written); // W = min(20, 30) = 20
    }

    [Fact]
    public void Stores_each_distinct_value_once_in_dedupe_mode_and_every_copy_otherwise()
    {
        foreach (var dedupe in new[] { true, false })
        {
            var (engine, output) = Create(new OrderingOptions { Dedupe = dedupe });
            var a = engine.OpenSource(T0);
            var b = engine.OpenSource(T0);
            engine.Ingest(a, [T0 + 1, T0 + 1, T0 + 2], T0 + 2);
            engine.Ingest(b, [T0 + 1, T0 + 2], T0 + 2);
            engine.CloseSource(a);
            engine.CloseSource(b);
            engine.Advance(T0 + 3);

            Assert.Equal(dedupe ? [T0 + 1, T0 + 2] : [T0 + 1, T0 + 1, T0 + 1, T0 + 2, T0 + 2], output.Written);
            Assert.Equal(dedupe ? 3 : 0, engine.Counters.Duplicates);
        }
    }

    /// <summary>
    /// After a restart, <c>.late</c> can hold values above the main file's end (late against a write point whose
    /// values a full disk then kept from the main file). Simulator seed 46823: a resend of one was stored in the main
    /// file too. Remembered, it is a duplicate, before and after the floor passes it.
    /// </summary>
    [Fact]
    public void A_value_late_holds_above_the_files_end_is_a_duplicate_when_resent_after_a_restart()
    {
        var (engine, output) = Create(new OrderingOptions { Dedupe = true }, lastWritten: T0 + 100, now: T0 + 200);
        engine.RememberStored(T0 + 150); // read back from .late at resume: above the floor (T0 + 101)
        var a = engine.OpenSource(T0 + 200);
        engine.Ingest(a, [T0 + 120, T0 + 150, T0 + 160], T0 + 200);
        engine.CloseSource(a);
        engine.Advance(T0 + 200 + 8_000); // past the resume grace (7 s)
        Assert.Equal([T0 + 120, T0 + 160], output.Written);

        var b = engine.OpenSource(T0 + 8_202);
        engine.Ingest(b, [T0 + 150], T0 + 8_202); // below the floor now: the history has it
        Assert.Equal(2, engine.Counters.Duplicates);
        Assert.Equal(0, engine.Counters.Late);
    }

    [Fact]
    public void Writes_everything_when_no_source_is_active()
    {
        var (engine, output) = Create();
        var a = engine.OpenSource(T0);
        engine.Ingest(a, [T0 + 5, T0 + 9], T0 + 9);
        engine.Advance(T0 + 9);
        Assert.Equal([T0 + 5], output.Written); // a's high is 9: 9 may come again

        engine.CloseSource(a);
        engine.Advance(T0 + 10);
        Assert.Equal([T0 + 5, T0 + 9], output.Written);
    }

    [Fact]
    public void A_silent_source_stops_holding_the_output_after_the_idle_timeout()
    {
        var (engine, output) = Create(new OrderingOptions { IdleTimeoutMs = 1_000 });
        var silent = engine.OpenSource(T0);
        var talker = engine.OpenSource(T0);
        engine.Ingest(silent, [T0 + 1], T0 + 1);
        engine.Ingest(talker, [T0 + 100, T0 + 500], T0 + 500);

        engine.Advance(T0 + 1_000);
        Assert.Empty(output.Written); // silent last spoke at T0+1, 999 ms ago

        engine.Advance(T0 + 1_001);
        Assert.Equal([T0 + 1, T0 + 100], output.Written); // silent is idle; W = talker's 500

        engine.Ingest(silent, [T0 + 50], T0 + 1_002); // it wakes up with a value already passed: late
        Assert.Equal([T0 + 50], output.Late);
        Assert.Equal(1, engine.Counters.Late);
    }

    [Fact]
    public void A_late_value_already_written_is_a_duplicate_in_dedupe_mode()
    {
        var (engine, output) = Create();
        var a = engine.OpenSource(T0);
        engine.Ingest(a, [T0 + 1, T0 + 2], T0 + 2);
        engine.CloseSource(a);
        engine.Advance(T0 + 3);

        var b = engine.OpenSource(T0 + 3);
        engine.Ingest(b, [T0 + 1, T0 + 1], T0 + 3); // resent: already in the file
        engine.Ingest(b, [T0 + 0], T0 + 3);         // never seen: late, stored once
        engine.Ingest(b, [T0 + 0], T0 + 3);         // and then a duplicate

        Assert.Equal([T0 + 0], output.Late);
        Assert.Equal(3, engine.Counters.Duplicates);
        Assert.Equal(1, engine.Counters.Late);
    }

    [Fact]
    public void Rejects_values_too_far_ahead_of_the_clock()
    {
        var (engine, output) = Create(new OrderingOptions { MaxFutureMs = 10_000 });
        var a = engine.OpenSource(T0);
        engine.Ingest(a, [T0 + 10_000, T0 + 10_001], T0);
        engine.CloseSource(a);
        engine.Advance(T0);

        Assert.Equal([T0 + 10_000], output.Written);
        Assert.Equal(1, engine.Counters.RejectedFuture);
    }

    [Fact]
    public void A_lagging_source_holds_the_output_back_no_longer_than_the_max_delay()
    {
        var (engine, output) = Create(new OrderingOptions { MaxDelayMs = 5_000, IdleTimeoutMs = 60_000 });
        var stuck = engine.OpenSource(T0);
        var live = engine.OpenSource(T0);
        engine.Ingest(stuck, [T0], T0);
        for (var t = T0 + 50; t <= T0 + 8_000; t += 50)
        {
            engine.Ingest(live, [t], t);
            engine.Ingest(stuck, [T0], t); // keeps talking, never moves: holds W at T0
            engine.Advance(t);
        }

        // Everything older than now - 5 s was written regardless.
        Assert.Equal(T0 + 3_000, engine.Floor);
        Assert.Equal(T0 + 2_950, output.Written[^1]);
        Assert.True(engine.Counters.Forced > 0);
    }

    [Fact]
    public void Resuming_after_a_last_value_makes_values_at_or_below_it_duplicates_or_late()
    {
        var (engine, output) = Create(new OrderingOptions { ResumeGraceMs = 3_000 }, lastWritten: T0 + 100, now: T0 + 100);
        var a = engine.OpenSource(T0 + 100);
        engine.Ingest(a, [T0 + 100, T0 + 99, T0 + 101], T0 + 101);
        engine.CloseSource(a);
        engine.Advance(T0 + 102);
        Assert.Empty(output.Written); // the resume grace: clients that were connected may still come back to resend

        engine.Advance(T0 + 100 + 3_000);
        Assert.Equal([T0 + 101], output.Written);
        Assert.Equal([T0 + 99], output.Late);
        Assert.Equal(1, engine.Counters.Duplicates);
    }

    [Fact]
    public void After_a_downtime_longer_than_the_dedupe_history_a_value_one_history_span_after_the_last_is_stored_not_taken_for_it()
    {
        // The history has one bit per millisecond modulo 2^20: the resumed last value L and L + 2^20 share a bit.
        var span = 1L << new OrderingOptions().DedupeHistoryBits;
        var last = T0;
        var now = last + span + 60_000; // a downtime of 2^20 ms (17.5 min) and a minute
        var (engine, output) = Create(new OrderingOptions { ResumeGraceMs = 0 }, lastWritten: last, now: now);
        var a = engine.OpenSource(now);

        engine.Ingest(a, [last + span], now); // below the write point (now - max delay): late, but never stored before

        Assert.Equal([last + span], output.Late);
        Assert.Equal(0, engine.Counters.Duplicates);
    }

    [Fact]
    public void A_named_client_resending_after_a_reconnect_is_recognised_whatever_the_mode()
    {
        foreach (var dedupe in new[] { true, false })
        {
            var (engine, output) = Create(new OrderingOptions { Dedupe = dedupe });
            var first = engine.OpenSource(T0);
            engine.Identify(first, "run.7");
            engine.Ingest(first, [T0 + 1, T0 + 2, T0 + 3], T0 + 3);
            engine.CloseSource(first); // the connection dies; the client did not get its acknowledgement

            var again = engine.OpenSource(T0 + 4);
            engine.Identify(again, "run.7");
            engine.Ingest(again, [T0 + 2, T0 + 3, T0 + 4], T0 + 4); // resends 2 and 3, then goes on
            engine.CloseSource(again);
            engine.Advance(T0 + 5);

            Assert.Equal([T0 + 1, T0 + 2, T0 + 3, T0 + 4], output.Written);
            Assert.Equal(2, engine.Counters.Resent);
            Assert.Empty(output.Late);
        }
    }

    [Fact]
    public void The_ack_point_covers_what_a_source_sent_below_the_floor_and_no_more()
    {
        var (engine, _) = Create();
        var a = engine.OpenSource(T0);
        var b = engine.OpenSource(T0);
        Assert.Equal(-1, engine.AckPoint(a)); // nothing sent yet

        engine.Ingest(a, [T0 + 10, T0 + 20], T0 + 20);
        engine.Ingest(b, [T0 + 15], T0 + 20);
        engine.Advance(T0 + 20);

        Assert.Equal(T0 + 14, engine.AckPoint(a)); // floor is 15 (b's high): a's 10 is written, its 20 waits
        Assert.Equal(T0 + 14, engine.AckPoint(b)); // b's 15 may still come again: not covered

        engine.CloseSource(b);
        engine.Advance(T0 + 21);
        Assert.Equal(T0 + 19, engine.AckPoint(a)); // only a holds W now, at its high of 20
    }

    [Fact]
    public void A_finished_source_stops_holding_the_output_at_once_and_its_ack_point_reaches_its_last_value()
    {
        var (engine, output) = Create(new OrderingOptions { IdleTimeoutMs = 1_000 });
        var done = engine.OpenSource(T0);
        var talker = engine.OpenSource(T0);
        engine.Ingest(done, [T0 + 10], T0 + 10);
        engine.Ingest(talker, [T0 + 20], T0 + 20);
        engine.Advance(T0 + 20);
        Assert.Equal([], output.Written); // done holds W at 10
        Assert.False(engine.IsSettled(done));

        engine.FinishSource(done); // its peer half-closed: no idle timeout to wait for
        engine.Advance(T0 + 21);
        Assert.Equal([T0 + 10], output.Written); // W = talker's 20
        Assert.True(engine.IsSettled(done));
        Assert.Equal(T0 + 10, engine.AckPoint(done)); // still open: its final acknowledgement can be computed
        Assert.Equal(2, engine.OpenSources);
        Assert.Equal(1, engine.ActiveSources);

        engine.Ingest(done, [T0 + 30], T0 + 30); // a stray value after the end does not make it hold W again
        Assert.Equal(1, engine.ActiveSources);
        engine.CloseSource(done);
        Assert.Equal(1, engine.OpenSources);
    }

    [Fact]
    public void A_finished_source_is_settled_only_once_the_floor_passed_everything_it_sent()
    {
        var (engine, _) = Create();
        var done = engine.OpenSource(T0);
        var slow = engine.OpenSource(T0);
        Assert.True(engine.IsSettled(done)); // nothing sent: nothing to wait for

        engine.Ingest(slow, [T0 + 5], T0 + 5);
        engine.Ingest(done, [T0 + 10, T0 + 20], T0 + 20);
        engine.FinishSource(done);
        engine.Advance(T0 + 21);
        Assert.False(engine.IsSettled(done)); // slow holds W at 5: done's 10 and 20 wait
        Assert.Equal(T0 + 4, engine.AckPoint(done)); // vacuous below its first value

        engine.Ingest(slow, [T0 + 15], T0 + 22);
        engine.Advance(T0 + 22);
        Assert.False(engine.IsSettled(done));
        Assert.Equal(T0 + 14, engine.AckPoint(done));

        engine.Ingest(slow, [T0 + 40], T0 + 40);
        engine.Advance(T0 + 40);
        Assert.True(engine.IsSettled(done));
        Assert.Equal(T0 + 20, engine.AckPoint(done));
    }

    [Fact]
    public void Drain_writes_what_open_sources_still_hold_back()
    {
        var (engine, output) = Create();
        var a = engine.OpenSource(T0);
        engine.Ingest(a, [T0 + 1, T0 + 2], T0 + 2);
        engine.Drain();

        Assert.Equal([T0 + 1, T0 + 2], output.Written);
    }

    [Fact]
    public void Keeps_memory_fixed_when_values_jump_far_ahead_after_a_long_silence()
    {
        var (engine, output) = Create(new OrderingOptions { MaxDelayMs = 1_000, MaxFutureMs = 1_000 });
        var a = engine.OpenSource(T0);
        engine.Ingest(a, [T0 + 1], T0 + 1);
        engine.CloseSource(a);
        engine.Advance(T0 + 2);

        // An hour later the window has moved far beyond its size: still exact, no wrap-around.
        var later = T0 + 3_600_000;
        var b = engine.OpenSource(later);
        engine.Ingest(b, [later + 1, later + 1 + engine.WindowSize - 1], later + engine.WindowSize);
        engine.CloseSource(b);
        engine.Advance(later + engine.WindowSize);

        Assert.Equal([T0 + 1, later + 1, later + engine.WindowSize], output.Written);
    }
}
