using Horodate.Core.Ordering;
using Horodate.Core.Storage;

namespace Horodate.Core.Durability;

/// <summary>Where the durable path writes and how often it syncs.</summary>
public sealed record IngestOptions
{
    /// <summary>The ordered output file.</summary>
    public required string Output { get; init; }

    /// <summary>The side file for late values (default <c>Output + ".late"</c>).</summary>
    public string LateOutput => Output + ".late";

    /// <summary>The keep-duplicates journal (<c>Output + ".clients"</c>).</summary>
    public string JournalPath => Output + ".clients";

    /// <summary>How the engine merges.</summary>
    public required OrderingOptions Ordering { get; init; }

    /// <summary>How often, at most, an fsync is asked for while acknowledged clients are connected (default 1 s).</summary>
    public long SyncIntervalMs { get; init; } = 1_000;

    /// <summary>
    /// A gap longer than this between two readings of the core (flushes, reads) while sources are open means the
    /// process did not run (stopped, a long GC pause, a frozen VM): the excess is not counted as the sources' silence
    /// or lag. <see langword="null"/> (the default): gaps are not judged, for a caller that steps time itself; an
    /// executor that reads the core on a cadence sets it with <see cref="StallGapFor"/>.
    /// </summary>
    public long? StallGapMs { get; init; }

    /// <summary>
    /// The stall gap for an executor that flushes every <paramref name="flushIntervalMs"/>: a quarter of the idle
    /// timeout, so that the part of a stall still counted cannot by itself expire a source whose values wait unread,
    /// at most 250 ms (25 flush intervals at the default 10 ms, which a writer thread scheduled late on a loaded
    /// machine stays well under), and at least two flush intervals (the flushes' own gaps are no stall).
    /// Over-counting a stall only delays the write point, never reorders.
    /// </summary>
    public static long StallGapFor(OrderingOptions ordering, long flushIntervalMs)
    {
        ArgumentNullException.ThrowIfNull(ordering);
        return Math.Max(2 * flushIntervalMs, Math.Min(250, ordering.IdleTimeoutMs / 4));
    }

    /// <summary>The size from which the running journal is rewritten as one record (default <see cref="ClientJournal.RotateBytes"/>, 8 MiB).</summary>
    public long JournalRotateBytes { get; init; } = ClientJournal.RotateBytes;
}

/// <summary>
/// The server's core, free of threads, sockets and real clocks: values in (from the sources, under one
/// lock), ordered by the <see cref="OrderingEngine"/>, written (<see cref="BatchWriter"/>), synced on a
/// cadence (<see cref="SyncCadence"/>), recorded in the journal, acknowledged (<see cref="AckTracker"/>).
/// It decides; callers execute its steps: <see cref="Flush"/> on a writer thread, <see cref="RunSync"/> on a
/// sync thread in production, both from a seeded scheduler in the simulator. Files and time come through
/// the seams given to <see cref="Open"/>.
/// </summary>
public sealed class IngestCore : IDisposable
{
    private readonly Lock _gate = new();
    private readonly IngestOptions _options;
    private readonly TimeProvider _time;
    private readonly IIngestEvents _events;
    private readonly OrderingEngine _engine;
    private readonly BatchSink _sink;
    private readonly BatchWriter _writer;
    private readonly ClientJournal? _journal;
    private readonly AckTracker _acks = new();
    private readonly JournalMarks _marks = new();
    private readonly List<KeyValuePair<string, ClientMark>> _collectedMarks = [];
    private readonly SyncCadence _cadence;
    private readonly StallClock _clock;
    private bool _sealed;
    private long _droppedAtStop;
    private long _reportedFuture;

    // Writer step: acknowledgements riding with the batch being written.
    private List<AckTracker.Pending> _collected = [];
    private readonly Func<int, long> _ackPoint;
    private readonly Func<int, bool> _settled;

    // The sync mailbox, from the writer step to the sync step (guarded by _syncGate).
    private readonly Lock _syncGate = new();
    private SyncRequest? _request;
    private long _requestId;
    private long _doneId;
    private bool _lastSyncFailed;

    // The sync step's: the first fsync that failed (after it, nothing is ever acknowledged), and whether the directory
    // entry of a .late created during the run is durable.
    private volatile string? _failure;
    private bool _lateEntrySynced;

    private sealed class SyncRequest(long mainLength, long lateLength, bool acknowledging, List<AckTracker.Pending> acks, List<KeyValuePair<string, ClientMark>> marks)
    {
        public List<KeyValuePair<string, ClientMark>> Marks { get; set; } = marks;

        public long MainLength { get; set; } = mainLength;

        public long LateLength { get; set; } = lateLength;

        public bool Acknowledging { get; set; } = acknowledging;

        public List<AckTracker.Pending> Acks { get; } = acks;
    }

    private IngestCore(IngestOptions options, IFileSystem files, TimeProvider time, IIngestEvents events, TimestampFile output, ClientJournal? journal, ClientJournal.State? recovered, long lateLength, bool existed)
    {
        _options = options;
        _time = time;
        _events = events;
        _journal = journal;
        _sink = new BatchSink(new OutputBatch());
        _writer = new BatchWriter(files, output, options.LateOutput, lateLength, events, time);
        _clock = new StallClock(time, options.StallGapMs);
        var now = _clock.Read();
        _cadence = new SyncCadence(options.SyncIntervalMs, now.MonoMs);
        var resumed = existed || recovered is not null;
        _engine = new OrderingEngine(options.Ordering, _sink, output.Resume.LastValue, now, resumed);
        _ackPoint = _engine.AckPoint;
        _settled = _engine.IsSettled;
        foreach (var value in output.Resume.RecentValues)
        {
            _engine.RememberStored(value);
        }

        foreach (var (id, stored) in recovered?.Clients ?? new Dictionary<string, ClientMark>())
        {
            _engine.RememberClient(id, stored);
        }
    }

    /// <summary>
    /// Makes the output and, if it exists, the late file durable as they read now, names included (fsync of the
    /// files and of their directory). Each file's last <see cref="TimestampFile.ResumeTailBytes"/> (all that resends are
    /// recognised against) are rewritten first: after a failed fsync the previous run stopped, but Linux may have
    /// marked the pages it could not write back clean; reads still show them, a plain fsync would not write them,
    /// and a power loss would take values acknowledged against them. Rewritten, they are dirty again and synced.
    /// </summary>
    private static void SyncExisting(IFileSystem files, TimestampFile output, string latePath)
    {
        DurableRewrite.RewriteTail(files, output.Path, TimestampFile.ResumeTailBytes);
        if (files.Exists(latePath))
        {
            DurableRewrite.RewriteTail(files, latePath, TimestampFile.ResumeTailBytes);
        }

        files.SyncDirectory(output.Path);
    }

    /// <summary>
    /// Recovery at open: opens (or creates) the output file, cutting a torn last line; in keep-duplicates mode
    /// reads the journal and, after a crash with acknowledged clients connected, cuts both files back to its
    /// last record (what lay past it was never acknowledged: its senders resend it); then builds the engine,
    /// resuming after the file's last value.
    /// </summary>
    /// <exception cref="InvalidDataException">The output file is not a timestamp file.</exception>
    /// <exception cref="IOException">The output file cannot be opened.</exception>
    public static IngestCore Open(IngestOptions options, IFileSystem files, TimeProvider time, IIngestEvents events)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(events);
        var existed = files.Exists(options.Output);

        // Keep-duplicates: the journal says up to where the files were fsynced; only that part is judged (a power
        // loss can leave NUL-filled or stale blocks past it, which are cut like a torn line).
        var durable = options.Ordering.Dedupe ? null
            : ClientJournal.Recover(files, options.JournalPath, LengthOf(files, options.Output), LengthOf(files, options.LateOutput));
        var output = TimestampFile.Open(files, options.Output, sorted: true, durable?.MainLength ?? long.MaxValue);
        try
        {
            events.Opened(options.Output, output.Resume);
            if (options.Ordering.Dedupe)
            {
                // What .late already holds within the dedupe history's reach: a late value resent after a restart is a
                // duplicate, not stored twice. Reading it also refuses a foreign .late now rather than at the first late value.
                var lateValues = TimestampFile.ReadRecent(files, options.LateOutput);

                // What the files hold now is what resends will be recognised against (and acknowledged as stored):
                // it must be durable first, or a power loss could take a value acknowledged only as a duplicate of it.
                SyncExisting(files, output, options.LateOutput);
                var core = new IngestCore(options, files, time, events, output, null, null, 0, existed);
                foreach (var value in lateValues)
                {
                    core._engine.RememberStored(value);
                }

                return core;
            }

            long lateLength = 0;
            if (files.Exists(options.LateOutput))
            {
                using var late = TimestampFile.Open(files, options.LateOutput, sorted: false, durable?.LateLength ?? long.MaxValue);
                lateLength = late.Length;
            }

            var state = ClientJournal.Recover(files, options.JournalPath, output.Length, lateLength);
            if (state is { Acknowledging: true } && (state.MainLength < output.Length || state.LateLength < lateLength))
            {
                events.CutToJournal(options.Output, output.Length - state.MainLength, lateLength - state.LateLength);
                output.Dispose();
                TimestampFile.CutTo(files, options.Output, state.MainLength);
                if (lateLength > 0)
                {
                    TimestampFile.CutTo(files, options.LateOutput, state.LateLength);
                    lateLength = state.LateLength;
                }

                output = TimestampFile.Open(files, options.Output, sorted: true);
            }

            // The fresh journal vouches for these lengths: they must be durable first. A cut whose fsync failed (or
            // a torn line cut at open) would otherwise come back after another crash, past a record that no longer
            // says acknowledged clients were connected: kept, and doubled by the resends.
            SyncExisting(files, output, options.LateOutput);
            var journal = ClientJournal.Create(files, options.JournalPath, new ClientJournal.State(output.Length, lateLength, false, state?.Clients ?? new Dictionary<string, ClientMark>()), options.JournalRotateBytes);
            return new IngestCore(options, files, time, events, output, journal, state, lateLength, existed);
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    private static long LengthOf(IFileSystem files, string path)
    {
        if (!files.Exists(path))
        {
            return 0;
        }

        using var file = files.Open(path);
        return file.Length;
    }

    /// <summary>What was found in the output file when it was opened.</summary>
    public ResumeInfo Resume => _writer.Main.Resume;

    /// <summary>Why an fsync failed, once one did: nothing is written or acknowledged any more, and the server must stop.</summary>
    public string? Failure => _failure;

    /// <summary>True while writes fail: transports must not read more until <see cref="WhenWritable"/> completes.</summary>
    public bool Backpressured => _writer.Backpressured;

    /// <summary>Completes when writes work (at once when they do).</summary>
    public Task WhenWritable => _writer.WhenWritable;

    /// <summary>Distinct values waiting for the watermark (at most <see cref="WindowSize"/>: the memory bound).</summary>
    public long BufferedValues
    {
        get
        {
            lock (_gate)
            {
                return _engine.BufferedValues;
            }
        }
    }

    /// <summary>The engine's ring size in ms (for memory bounds).</summary>
    public long WindowSize => _engine.WindowSize;

    /// <summary>Registers a connection; it holds the watermark from now until its first value.</summary>
    public int OpenSource()
    {
        lock (_gate)
        {
            return _engine.OpenSource(_clock.Read());
        }
    }

    /// <summary>Hands over values decoded from one connection, in the order received.</summary>
    public void Ingest(int source, ReadOnlySpan<long> values)
    {
        lock (_gate)
        {
            if (_sealed)
            {
                _droppedAtStop += values.Length;
                return;
            }

            _engine.Ingest(source, values, _clock.Read());
        }
    }

    /// <summary>Hands over the values of many connections at once, under one lock.</summary>
    public void Ingest(IngestBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        lock (_gate)
        {
            var now = _clock.Read();
            for (var i = 0; i < batch.Segments; i++)
            {
                var values = batch.Segment(i, out var source);
                if (_sealed)
                {
                    _droppedAtStop += values.Length;
                    continue;
                }

                _engine.Ingest(source, values, now);
            }
        }
    }

    /// <summary>Forgets a connection: it no longer holds the watermark, and is no longer acknowledged.</summary>
    public void CloseSource(int source)
    {
        lock (_gate)
        {
            _engine.CloseSource(source);
            _acks.Disable(source);
        }
    }

    /// <summary>
    /// The client on <paramref name="source"/> finished sending (it half-closed): the source stops holding the
    /// watermark at once and for good, yet stays open until <see cref="CloseSource"/>. An acknowledged one gets a
    /// final acknowledgement covering everything it sent (<see cref="IAckTarget.TryDeliverFinal"/>), with the
    /// first sync after the flush that writes its last value: that flush asks for the sync at once rather than
    /// waiting out the sync interval. The final acknowledgement is offered again until delivered, like any other.
    /// </summary>
    public void FinishSource(int source)
    {
        lock (_gate)
        {
            _engine.FinishSource(source);
            _acks.Finish(source);
        }
    }

    /// <summary>Acknowledges <paramref name="source"/> from now on (its hello arrived), named <paramref name="clientId"/> if it gave a name.</summary>
    public void EnableAcks(int source, string? clientId, IAckTarget target)
    {
        lock (_gate)
        {
            _engine.Identify(source, clientId);
            _acks.Enable(source, clientId, target);
        }
    }

    /// <summary>Stops acknowledging <paramref name="source"/> (its connection is ending).</summary>
    public void DisableAcks(int source)
    {
        lock (_gate)
        {
            _acks.Disable(source);
        }
    }

    /// <summary>
    /// The writer step: advances the engine, takes its output, writes it; when a sync is due and everything
    /// taken is written, posts a sync request carrying the acknowledgements that the written lines earned.
    /// With <paramref name="final"/> (a graceful stop): drains the engine and refuses later values; call
    /// <see cref="FinishStop"/> once the writes are done. Returns true when everything taken reached the files.
    /// </summary>
    public bool Flush(bool final)
    {
        EngineTime now;
        long rejectedFuture;
        bool acknowledging, syncDue;
        lock (_gate)
        {
            now = _clock.Read();
            var filling = _sink.Current;
            filling.NowMs = now.WallMs;
            _engine.Advance(now);
            if (final)
            {
                _engine.Drain();
                _sealed = true;
            }

            _sink.Current = _writer.Take(filling);
            rejectedFuture = _engine.Counters.RejectedFuture;
            // Keep-duplicates: a named client whose connection dropped still has values on their way to the files, which
            // it will resend: until the journal marks them, records say acknowledged clients are there (cut, not kept).
            acknowledging = _acks.Count > 0 || (_journal is not null && (_engine.ClientMarksPending || _marks.Pending));
            syncDue = _cadence.IsDue(now.MonoMs, final, acknowledging, acknowledging && _acks.FinalDue(_settled));
            if (syncDue)
            {
                // Everything each source sent below the floor is in the batch just taken or an earlier one: once
                // that is written and synced, it can be acknowledged. Collected afresh at every due sync, so that
                // a failed write or sync only delays the acknowledgement.
                _collected.Clear();
                _acks.Collect(_ackPoint, _settled, _collected);
                if (_journal is not null)
                {
                    _collectedMarks.Clear();
                    _engine.CollectClientMarks(_collectedMarks);
                    _marks.Add(_collectedMarks);
                }
            }
        }

        if (_cadence.NeedsAcknowledgingRecord(_journal is not null, acknowledging))
        {
            // Before any acknowledged client's value reaches the files, the journal must say so (durably).
            _cadence.Requested(now.MonoMs, acknowledging: true);
            if (!RequestSync(acknowledging: true, [], marks: null, wait: true))
            {
                _cadence.Requested(now.MonoMs, acknowledging: false);
                ReportFuture(rejectedFuture);
                return false; // nothing is written until it does: the batch waits, newer lines queue behind it
            }
        }

        // After a failed fsync nothing more is written either: the pages it dropped stay the files' tail (cut as torn
        // after a power loss), never a hole under later lines that the kernel did write back.
        var written = _failure is null && _writer.WriteOut();
        lock (_gate)
        {
            // From now on, time is stalled while the transports do not read: while writes fail.
            _ = _clock.Read();
            _clock.NotReading = _writer.Backpressured;
        }

        if (syncDue && written && !final)
        {
            var acks = _collected;
            _collected = [];
            _cadence.Requested(now.MonoMs, acknowledging);
            _ = RequestSync(acknowledging, acks, _marks.Unrecorded(), wait: false);
        }

        ReportFuture(rejectedFuture);
        return written;
    }

    /// <summary>
    /// The writer is about to sleep until woken (<see cref="Quiescent"/>): the time until the next step is rest, not
    /// a stall of the process, and counts as listening time (the transports go on reading meanwhile).
    /// </summary>
    public void Rest()
    {
        lock (_gate)
        {
            _clock.Rest();
        }
    }

    /// <summary>
    /// True when a flush would do nothing now and, until a source opens or values are handed over, nothing
    /// later either: no source open (so no idle expiry, grace or max-delay can release anything), nothing
    /// buffered or waiting to be written, no acknowledged client, no journal record or sync to come. The writer
    /// then sleeps until woken instead of flushing every interval (issue 12 §3, "idle means idle").
    /// </summary>
    public bool Quiescent
    {
        get
        {
            lock (_gate)
            {
                if (_engine.OpenSources != 0 || _engine.BufferedValues != 0 || _acks.Count != 0 || _cadence.JournalAcknowledging
                    || _writer.PendingBytes != 0)
                {
                    return false;
                }
            }

            return !SyncPending;
        }
    }

    /// <summary>Whether a sync request waits for <see cref="RunSync"/>.</summary>
    public bool SyncPending
    {
        get
        {
            lock (_syncGate)
            {
                return _request is not null;
            }
        }
    }

    /// <summary>How many acknowledgements the sync request not yet taken carries (merged: at most one per acknowledged source).</summary>
    internal int QueuedAcks
    {
        get
        {
            lock (_syncGate)
            {
                return _request?.Acks.Count ?? 0;
            }
        }
    }

    /// <summary>
    /// The sync step: fsyncs the files, appends the journal record, then sends the acknowledgements the request
    /// carries. Returns false when there was nothing to do.
    /// </summary>
    public bool RunSync()
    {
        SyncRequest? request;
        long id;
        lock (_syncGate)
        {
            request = _request;
            _request = null;
            id = _requestId;
        }

        if (request is null)
        {
            return false;
        }

        var ok = Sync(request.MainLength, request.LateLength, request.Acknowledging, request.Acks, request.Marks);
        lock (_syncGate)
        {
            _doneId = id;
            _lastSyncFailed = !ok;
        }

        return true;
    }

    /// <summary>
    /// The last step of a graceful stop, after the final <see cref="Flush"/> and with the sync step stopped:
    /// fsyncs, records that no acknowledged client is left, and sends the last acknowledgements (the
    /// connections are still open). Returns true when it all worked.
    /// </summary>
    public bool FinishStop()
    {
        if (!_writer.IsEmpty)
        {
            return false; // not everything reached the files: no acknowledgement may go out
        }

        var acks = _collected;
        _collected = [];
        return Sync(_writer.Main.Length, _writer.LateLength, acknowledging: false, acks, _marks.Unrecorded());
    }

    /// <summary>A consistent snapshot of the counts since the start; reading it changes nothing.</summary>
    public IngestStatus Snapshot()
    {
        lock (_gate)
        {
            return new IngestStatus(_engine.Counters, _engine.OpenSources, _engine.ActiveSources, _engine.Floor, _engine.BufferedValues, _droppedAtStop, _writer.Stats());
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _writer.Dispose();
        _journal?.Dispose();
    }

    /// <summary>
    /// Posts a sync request (merging into one not yet taken); with <paramref name="wait"/>, waits for it and returns
    /// whether it worked. <paramref name="marks"/>: every journal mark unrecorded, only when everything taken is
    /// written (null: the request carries none of its own).
    /// </summary>
    private bool RequestSync(bool acknowledging, List<AckTracker.Pending> acks, List<KeyValuePair<string, ClientMark>>? marks, bool wait)
    {
        long id;
        lock (_syncGate)
        {
            if (_request is { } queued)
            {
                PendingAcks.Merge(queued.Acks, acks);
                queued.MainLength = _writer.Main.Length;
                queued.LateLength = _writer.LateLength;
                queued.Acknowledging = acknowledging;
                queued.Marks = marks ?? queued.Marks;
            }
            else
            {
                _request = new SyncRequest(_writer.Main.Length, _writer.LateLength, acknowledging, acks, marks ?? []);
            }

            id = ++_requestId;
        }

        SyncRequested?.Invoke();
        if (!wait)
        {
            return true;
        }

        while (true)
        {
            lock (_syncGate)
            {
                if (_doneId >= id)
                {
                    return !_lastSyncFailed;
                }
            }

            if (!WaitForSync())
            {
                return false;
            }
        }
    }

    /// <summary>Called when a sync request is posted: production wakes its sync thread.</summary>
    public Action? SyncRequested { get; set; }

    /// <summary>
    /// How the writer step waits for a sync it needs: production blocks until the sync thread is done (or
    /// stopping: false); the simulator runs the sync step in place. Defaults to running it in place.
    /// </summary>
    public Func<bool>? SyncWaiter { get; set; }

    private bool WaitForSync() => SyncWaiter is { } wait ? wait() : RunSync();

    private bool Sync(long mainLength, long lateLength, bool acknowledging, List<AckTracker.Pending> acks, List<KeyValuePair<string, ClientMark>> marks)
    {
        if (_failure is not null)
        {
            return false; // an fsync failed: nothing written since the last good one is known durable, ever
        }

        try
        {
            var started = _time.GetTimestamp();
            _writer.Main.Sync();
            if (_writer.Late is { } late)
            {
                late.Sync();
                if (!_lateEntrySynced)
                {
                    _writer.Files.SyncDirectory(late.Path); // created during this run: its name must survive a power loss too
                    _lateEntrySynced = true;
                }
            }

            _journal?.Append(mainLength, lateLength, acknowledging, marks);
            _events.Synced(started);
        }
        catch (SyncFailedException ex)
        {
            // Fatal, never retried (fsyncgate): Linux may have dropped the pages it could not write back, marking them
            // clean, so the next fsync would succeed without them and acknowledge values a power loss then takes. Not
            // rewritten from memory either: plain mode syncs only at the stop, so what a failed fsync covers can be a
            // whole run. The server stops instead (IIngestEvents.SyncFailed), acknowledging nothing more; the clients
            // resend what was not acknowledged, and the next start rewrites the files' tails before trusting them.
            _failure = ex.Message;
            _events.SyncFailed(ex.Path, ex.Message);
            return false;
        }
        catch (IOException ex)
        {
            _events.WriteFailed(_writer.Main.Path, ex.Message);
            return false; // a failed write (the journal's): no acknowledgement (they are collected again at the next sync)
        }

        _marks.Recorded(marks);
        AckTracker.Complete(acks);
        return true;
    }

    private void ReportFuture(long rejectedFuture)
    {
        if (rejectedFuture > _reportedFuture)
        {
            _events.FutureRejected(rejectedFuture - _reportedFuture);
            _reportedFuture = rejectedFuture;
        }
    }

    /// <summary>Lets the engine write into whichever batch is filling.</summary>
    private sealed class BatchSink(OutputBatch batch) : IOrderedOutput
    {
        public OutputBatch Current { get; set; } = batch;

        public void Write(long value, int count) => Current.Write(value, count);

        public void WriteLate(long value) => Current.WriteLate(value);
    }
}

/// <summary>A consistent snapshot of an <see cref="IngestCore"/>.</summary>
public sealed record IngestStatus(
    OrderingCounters Counters, int OpenSources, int ActiveSources, long Floor, long BufferedValues, long DroppedAtStop, WriterStats Writer);
