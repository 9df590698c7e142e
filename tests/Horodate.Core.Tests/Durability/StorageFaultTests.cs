using System.Text;
using Horodate.Core.Durability;
using Horodate.Core.Ordering;
using Horodate.Core.Storage;
using Horodate.Simulation;

namespace Horodate.Core.Tests.Durability;

/// <summary>
/// Issue 10's review findings on the durability path, on the simulator's honest file system: a failed fsync
/// (fsyncgate), directory entries, a failed journal append whose cut fails too, sync requests piling up behind a
/// hanging fsync.
/// </summary>
public sealed class StorageFaultTests
{
    private const string Output = "/t/out.txt";

    private sealed class Target : IAckTarget
    {
        public List<long> Delivered { get; } = [];

        public bool TryDeliver(long value)
        {
            Delivered.Add(value);
            return true;
        }

        public bool TryDeliverFinal(long value) => false;
    }

    private sealed class Recorder : IIngestEvents
    {
        public List<string> SyncFailures { get; } = [];

        public void Opened(string path, ResumeInfo found)
        {
        }

        public void CutToJournal(string path, long mainBytes, long lateBytes)
        {
        }

        public void WriteFailed(string path, string message)
        {
        }

        public void SyncFailed(string path, string message) => SyncFailures.Add(path);

        public void WriteRecovered(string path, long bytes)
        {
        }

        public void LateWritten(long count, string path)
        {
        }

        public void FutureRejected(long count)
        {
        }

        public void Wrote(long startedTimestamp)
        {
        }

        public void Synced(long startedTimestamp)
        {
        }
    }

    private static IngestOptions Options(bool dedupe, long syncIntervalMs = 0) => new()
    {
        Output = Output,
        SyncIntervalMs = syncIntervalMs,
        Ordering = new OrderingOptions { Dedupe = dedupe, MaxDelayMs = 500, MaxFutureMs = 1_000, IdleTimeoutMs = 100 },
    };

    private static string Text(SimFileSystem files, string path) => Encoding.ASCII.GetString(files.Content(path));

    /// <summary>
    /// fsyncgate: on Linux a failed fsync may drop the pages it could not write (marked clean), and the next fsync then
    /// succeeds without them. Retrying would acknowledge values a power loss takes; the core must acknowledge nothing
    /// after a failed fsync, however well later ones go, write nothing more, and say that the server must stop.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void After_a_failed_fsync_nothing_is_acknowledged_even_when_a_later_fsync_works(bool dedupe)
    {
        var files = new SimFileSystem(new SimRandom(1)) { DropOnSyncFault = true };
        var clock = new SimClock();
        var events = new Recorder();
        var core = IngestCore.Open(Options(dedupe), files, clock, events);
        var target = new Target();
        var source = core.OpenSource();
        core.EnableAcks(source, "a", target);
        var value = clock.WallMs - 400;
        core.Ingest(source, [value]);
        clock.Advance(200);
        Assert.True(core.Flush(final: false));
        files.SyncFaultPerMille = 1000;
        Assert.True(core.RunSync());
        Assert.Empty(target.Delivered);

        files.SyncFaultPerMille = 0;
        var length = files.Content(Output).Length;
        core.Ingest(source, [clock.WallMs]);
        clock.Advance(200);
        _ = core.Flush(final: false);
        _ = core.RunSync();
        Assert.False(core.Flush(final: true));
        Assert.False(core.FinishStop());
        Assert.Equal(length, files.Content(Output).Length); // nor written: the dropped pages stay the tail, never a hole under later lines

        Assert.Empty(target.Delivered); // the value is not durable: a power loss now would take it
        Assert.Equal([Output], events.SyncFailures);
        Assert.NotNull(core.Failure);
        files.PowerLoss();
        Assert.DoesNotContain(value.ToString(System.Globalization.CultureInfo.InvariantCulture), Text(files, Output), StringComparison.Ordinal);
    }

    /// <summary>
    /// After a failed fsync the server stops, but the page cache outlives it: the restarted server reads the lines the
    /// failed fsync dropped, and a plain fsync would not write them. In dedupe mode a resend is acknowledged as a
    /// duplicate of such a line: the start must make what it reads durable, by rewriting it, before trusting it.
    /// </summary>
    [Fact]
    public void A_restart_makes_durable_what_a_failed_fsync_of_the_previous_run_dropped()
    {
        var files = new SimFileSystem(new SimRandom(1)) { DropOnSyncFault = true, SyncFaultPerMille = 1000 };
        using (var main = files.Open(Output))
        {
            main.Write(0, "1000\n1001\n"u8);
            _ = Assert.Throws<SyncFailedException>(main.Sync);
        }

        files.SyncFaultPerMille = 0;
        files.SyncDirectory(Output); // the name was durable; the data never reached the disk
        var core = IngestCore.Open(Options(dedupe: true), files, new SimClock(), NullEvents.Instance);
        Assert.Equal(1001, core.Resume.LastValue); // what resends of 1000 and 1001 are recognised against, and acknowledged as
        files.PowerLoss();
        Assert.Equal("1000\n1001\n", Text(files, Output));
    }

    /// <summary>A new file survives a power loss only once its directory entry is durable: the output file, created at start.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void An_acknowledged_value_in_a_new_output_file_survives_a_power_loss(bool dedupe)
    {
        var files = new SimFileSystem(new SimRandom(1));
        var clock = new SimClock();
        var core = IngestCore.Open(Options(dedupe), files, clock, NullEvents.Instance);
        var target = new Target();
        var source = core.OpenSource();
        core.EnableAcks(source, "a", target);
        var value = clock.WallMs - 400;
        core.Ingest(source, [value]);
        clock.Advance(200);
        Assert.True(core.Flush(final: false));
        Assert.True(core.RunSync());
        Assert.Equal([value], target.Delivered);

        files.PowerLoss();
        Assert.Equal($"{value}\n", Text(files, Output));
        Assert.Equal(!dedupe, files.Exists(Output + ".clients"));
    }

    /// <summary>The same for <c>.late</c>, created by the first late value in the middle of a run.</summary>
    [Fact]
    public void An_acknowledged_value_in_a_new_late_file_survives_a_power_loss()
    {
        var files = new SimFileSystem(new SimRandom(1));
        var clock = new SimClock();
        var core = IngestCore.Open(Options(dedupe: true), files, clock, NullEvents.Instance);
        var target = new Target();
        var source = core.OpenSource();
        core.EnableAcks(source, "a", target);
        var now = clock.WallMs;
        core.Ingest(source, [now - 100]);
        clock.Advance(200);
        Assert.True(core.Flush(final: false));
        Assert.True(core.RunSync());
        var other = core.OpenSource();
        core.EnableAcks(other, "b", target);
        core.Ingest(other, [now - 300]); // below what was written: late
        clock.Advance(200);
        Assert.True(core.Flush(final: false));
        Assert.True(core.RunSync());
        Assert.Contains(now - 300, target.Delivered);

        files.PowerLoss();
        Assert.Equal($"{now - 300}\n", Text(files, Output + ".late"));
    }

    /// <summary>The real file system syncs a real directory (open read-only, fsync, close); a missing one is an I/O error, not a crash.</summary>
    [Fact]
    public void The_physical_file_system_syncs_a_directory_and_reports_a_missing_one()
    {
        var directory = Directory.CreateTempSubdirectory("horodate-dirsync-");
        try
        {
            var path = System.IO.Path.Combine(directory.FullName, "out.txt");
            using (var file = PhysicalFileSystem.Instance.Open(path))
            {
                file.Write(0, "1\n"u8);
                file.Sync();
            }

            PhysicalFileSystem.Instance.SyncDirectory(path);
            _ = Assert.ThrowsAny<IOException>(() => PhysicalFileSystem.Instance.SyncDirectory(System.IO.Path.Combine(directory.FullName, "missing", "out.txt")));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>
    /// A journal append that fails part-way (a full disk) and whose cut fails too leaves part of a record at the end.
    /// Appending a shorter record over it would leave the rest behind and the journal foreign at the next start: the
    /// next append must cut it first, or fail (so nothing is acknowledged); once it works, the journal reads back.
    /// </summary>
    [Fact]
    public void A_failed_journal_append_whose_cut_failed_is_cut_before_the_next_append_or_nothing_is_appended()
    {
        var files = new SimFileSystem(new SimRandom(3));
        const string Path = "/t/out.txt.clients";
        var journal = ClientJournal.Create(files, Path, new ClientJournal.State(0, 0, false, new Dictionary<string, ClientMark>()));
        var many = Enumerable.Range(0, 20).Select(i => KeyValuePair.Create($"client-{i}", new ClientMark(1_700_000_000_000L + i, ClientMark.AllCopies))).ToList();

        files.FailingPath = Path;
        files.SetLengthFaults = true;
        _ = Assert.ThrowsAny<IOException>(() => journal.Append(10, 0, true, many));
        files.FailingPath = null;
        _ = Assert.ThrowsAny<IOException>(() => journal.Append(10, 0, true, [])); // the junk cannot be cut yet: refused

        files.SetLengthFaults = false;
        journal.Append(20, 0, true, []);
        journal.Dispose();
        var state = ClientJournal.Recover(files, Path, 100, 0);
        Assert.NotNull(state);
        Assert.Equal(20, state.MainLength);
    }

    /// <summary>
    /// While an fsync hangs, the writer keeps posting sync requests, merged into the one waiting: their
    /// acknowledgements must merge too (one per source), not pile up with every flush for as long as it hangs.
    /// </summary>
    [Fact]
    public void Sync_requests_merged_behind_a_hanging_fsync_hold_one_acknowledgement_per_source()
    {
        var files = new SimFileSystem(new SimRandom(1));
        var clock = new SimClock();
        var core = IngestCore.Open(Options(dedupe: true), files, clock, NullEvents.Instance);
        var targets = Enumerable.Range(0, 3).Select(_ => new Target()).ToList();
        var sources = targets.Select((t, i) =>
        {
            var source = core.OpenSource();
            core.EnableAcks(source, $"c{i}", t);
            return source;
        }).ToList();

        for (var flush = 0; flush < 200; flush++) // the sync step never runs: the fsync hangs
        {
            foreach (var source in sources)
            {
                core.Ingest(source, [clock.WallMs]);
            }

            clock.Advance(10);
            Assert.True(core.Flush(final: false));
        }

        Assert.InRange(core.QueuedAcks, 1, sources.Count);
        Assert.True(core.RunSync());
        Assert.All(targets, t => Assert.NotEmpty(t.Delivered));
    }
}
