using Horodate.Core.Durability;
using Horodate.Core.Ordering;
using Horodate.Simulation;

namespace Horodate.Core.Tests.Durability;

/// <summary>
/// Keep-duplicates mode on real files: what the journal must record so that every value is stored copy for copy,
/// across connections that drop and servers that are killed (a killed process's writes survive in the page cache:
/// the files are simply reopened).
/// </summary>
public sealed class KeepDuplicatesJournalTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("horodate-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Output => Path.Combine(_dir, "out.txt");

    private sealed class Target : IAckTarget
    {
        public long Acked { get; private set; } = -1;

        public bool TryDeliver(long value)
        {
            Acked = Math.Max(Acked, value);
            return true;
        }

        public bool TryDeliverFinal(long value) => TryDeliver(value);
    }

    private IngestCore Open(SimClock clock) => IngestCore.Open(
        new IngestOptions
        {
            Output = Output,
            SyncIntervalMs = 0,
            Ordering = new OrderingOptions { Dedupe = false, MaxDelayMs = 500, MaxFutureMs = 1_000, IdleTimeoutMs = 100, ResumeGraceMs = 700 },
        },
        PhysicalFileSystem.Instance,
        clock,
        NullEvents.Instance);

    private long[] Stored() => [.. File.ReadAllLines(Output).Select(long.Parse)];

    private long[] StoredLate() => File.Exists(Output + ".late") ? [.. File.ReadAllLines(Output + ".late").Select(long.Parse)] : [];

    private static void FlushAndSync(IngestCore core, SimClock clock, long ms)
    {
        clock.Advance(ms);
        Assert.True(core.Flush(final: false));
        while (core.RunSync())
        {
        }
    }

    /// <summary>
    /// Issue 10, review finding 1: a named client's connection drops after its values were read, before their
    /// acknowledgement; they are written while another acknowledged client keeps the server syncing; then the server
    /// is killed. The client resends them after the restart: the journal must know they are stored.
    /// </summary>
    [Fact]
    public void A_client_that_disconnected_before_its_acknowledgement_does_not_have_its_resends_stored_again_after_a_crash()
    {
        var clock = new SimClock();
        var core = Open(clock);
        var stays = core.OpenSource();
        core.EnableAcks(stays, "stays", new Target());
        var leaves = core.OpenSource();
        var leaving = new Target();
        core.EnableAcks(leaves, "leaves", leaving);
        var t = clock.WallMs;
        core.Ingest(leaves, [t - 400, t - 399]);
        core.Ingest(stays, [t - 400]);
        FlushAndSync(core, clock, 200); // older than max-delay: written, synced, acknowledged
        Assert.Equal(t - 399, leaving.Acked);

        core.Ingest(leaves, [t - 300, t - 299]); // read, then the connection drops before any acknowledgement
        core.CloseSource(leaves);
        FlushAndSync(core, clock, 300); // written while "stays" is still acknowledged: the server keeps syncing
        Assert.Equal(t - 399, leaving.Acked);
        Assert.Contains(t - 299, Stored());
        core.Dispose(); // kill -9: the page cache keeps what was written

        core = Open(clock);
        var back = core.OpenSource();
        core.EnableAcks(back, "leaves", new Target());
        core.Ingest(back, [t - 300, t - 299]); // everything it had not had acknowledged, resent
        FlushAndSync(core, clock, 1_000); // past the resume grace
        core.Dispose();

        Assert.Equal([t - 400, t - 400, t - 399, t - 300, t - 299], Stored());
        Assert.Empty(StoredLate());
    }

    /// <summary>
    /// Issue 10, review finding 1, with no acknowledged client left: the last connection drops and the server no
    /// longer says acknowledged clients are there; what the dropped client sent is written after its last record.
    /// </summary>
    [Fact]
    public void The_last_acknowledged_client_that_disconnected_does_not_have_its_resends_stored_again_after_a_crash()
    {
        var clock = new SimClock();
        var core = Open(clock);
        var source = core.OpenSource();
        core.EnableAcks(source, "a", new Target());
        var t = clock.WallMs;
        core.Ingest(source, [t - 100, t - 99]); // buffered: younger than max-delay, held by the connection
        core.CloseSource(source);
        FlushAndSync(core, clock, 50); // no source holds the watermark: written
        FlushAndSync(core, clock, 600);
        Assert.Equal([t - 100, t - 99], Stored());
        core.Dispose(); // kill -9

        core = Open(clock);
        var back = core.OpenSource();
        core.EnableAcks(back, "a", new Target());
        core.Ingest(back, [t - 100, t - 99]);
        FlushAndSync(core, clock, 1_000);
        core.Dispose();

        Assert.Equal([t - 100, t - 99], Stored());
        Assert.Empty(StoredLate());
    }

    /// <summary>
    /// Issue 10, review finding 6: in keep-duplicates mode a value a named client sends twice on purpose, on one
    /// live connection, is stored twice (not dropped as a resend, yet acknowledged); a resend after a reconnect
    /// is still recognised, copy for copy.
    /// </summary>
    [Fact]
    public void A_named_client_repeating_a_value_on_a_live_connection_has_both_copies_stored_and_its_resends_recognised()
    {
        var clock = new SimClock();
        var core = Open(clock);
        var source = core.OpenSource();
        var target = new Target();
        core.EnableAcks(source, "a", target);
        var t = clock.WallMs;
        core.Ingest(source, [t - 400, t - 400]);
        core.Ingest(source, [t - 399, t - 399, t - 399]);
        core.CloseSource(source); // the connection drops before the acknowledgement

        var again = core.OpenSource();
        core.EnableAcks(again, "a", target);
        core.Ingest(again, [t - 400, t - 400, t - 399, t - 399, t - 399, t - 399]); // the resends, then one new copy
        FlushAndSync(core, clock, 200);
        core.Dispose();

        Assert.Equal([t - 400, t - 400, t - 399, t - 399, t - 399, t - 399], Stored());
        Assert.Equal(t - 399, target.Acked);
    }

    /// <summary>
    /// A client that gave up on a connection the server had not finished reading (a stalled server) resends on a new
    /// one; what the server then still reads on the old one was resent, or will be, on the new one: dropped, so that
    /// counting copies on the live connection never stores a value twice.
    /// </summary>
    [Fact]
    public void Values_still_read_from_a_connection_the_client_replaced_are_not_stored_twice()
    {
        var clock = new SimClock();
        var core = Open(clock);
        var old = core.OpenSource();
        core.EnableAcks(old, "a", new Target());
        var t = clock.WallMs;
        core.Ingest(old, [t - 400]);

        var replacement = core.OpenSource();
        core.EnableAcks(replacement, "a", new Target());
        core.Ingest(replacement, [t - 400, t - 399]); // the resend, then one the old connection also still carries
        core.Ingest(old, [t - 399, t - 398]); // read late from the old socket's buffer
        core.Ingest(replacement, [t - 398]);
        core.CloseSource(old);
        FlushAndSync(core, clock, 200);
        core.Dispose();

        Assert.Equal([t - 400, t - 399, t - 398], Stored());
    }

    /// <summary>The copies recorded in the journal survive a crash: a resend of a repeated value is recognised copy for copy.</summary>
    [Fact]
    public void After_a_crash_the_resends_of_a_repeated_value_are_recognised_copy_for_copy()
    {
        var clock = new SimClock();
        var core = Open(clock);
        var source = core.OpenSource();
        core.EnableAcks(source, "a", new Target());
        var t = clock.WallMs;
        core.Ingest(source, [t - 400, t - 399, t - 399]);
        core.CloseSource(source);
        FlushAndSync(core, clock, 200);
        core.Dispose(); // kill -9 before "a" reconnected

        core = Open(clock);
        var back = core.OpenSource();
        core.EnableAcks(back, "a", new Target());
        core.Ingest(back, [t - 400, t - 399, t - 399, t - 399]); // its unacknowledged values, then a third copy
        FlushAndSync(core, clock, 1_000);
        core.Dispose();

        Assert.Equal([t - 400, t - 399, t - 399, t - 399], Stored()); // the new copy follows the file's end, in order
        Assert.Empty(StoredLate());
    }
}
