using Horodate.Core.Ordering;
using Horodate.Core.Storage;

namespace Horodate.Core.Durability;

/// <summary>
/// The server's core, free of threads, sockets and real clocks: values in (from the sources, under one
/// lock), ordered by the <see cref="OrderingEngine"/>, written (<see cref="BatchWriter"/>), synced on a
/// cadence (<see cref="SyncCadence"/>), recorded in the journal, acknowledged (<see cref="AckTracker"/>).
/// It decides; callers execute its steps: <see cref="Flush"/> on a writer thread, <see cref="RunSync"/> on a
/// sync thread in production, both from a seeded scheduler in the simulator. Files and time come through
/// the seams given to <see cref="Open"/>.
/// </summary>
public sealed partial class IngestCore : IIngestSources, IDisposable
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

    /// <summary>The monotonic clock less the time the server did not read (<see cref="EngineTime.ListeningMs"/>): what the idle timeout counts.</summary>
    public long ListeningMs
    {
        get
        {
            lock (_gate)
            {
                return _clock.Read().ListeningMs;
            }
        }
    }

    /// <summary>Max-delay's bound on the write point (<see cref="OrderingEngine.DelayBound"/>).</summary>
    public long DelayBound
    {
        get
        {
            lock (_gate)
            {
                return _engine.DelayBound;
            }
        }
    }

    /// <summary>Registers a connection; it holds the watermark from now until its first value.</summary>
    public int OpenSource()
    {
        lock (_gate)
        {
            return _engine.OpenSource(_clock.Read());
        }
    }

    /// <inheritdoc />
    public int OpenSource(long heldFromMs)
    {
        lock (_gate)
        {
            var now = _clock.Read();
            return _engine.OpenSource(now with { WallMs = Math.Min(now.WallMs, heldFromMs) });
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

