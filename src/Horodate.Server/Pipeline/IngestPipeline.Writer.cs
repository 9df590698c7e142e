using System.Diagnostics;
using Horodate.Core.Diagnostics;
using Horodate.Core.Storage;
using Horodate.Server.Diagnostics;

namespace Horodate.Server.Pipeline;

internal sealed partial class IngestPipeline
{
    private readonly Lock _statsGate = new();
    private readonly LatencyHistogram _lag = new();
    private readonly LatencyHistogram _runLag = new();
    private readonly ManualResetEventSlim _stopRequested = new();
    private readonly RateLimiter _writeErrorLog = new(TimeSpan.FromSeconds(5));
    private readonly RateLimiter _lateLog = new(TimeSpan.FromSeconds(5));
    private readonly RateLimiter _futureLog = new(TimeSpan.FromSeconds(5));

    // Owned by the writer thread.
    private OutputBatch _writing;
    private TimestampFile? _lateFile;
    private Thread? _writer;
    private long _reportedFuture;
    private volatile bool _failing;
    private static readonly TaskCompletionSource CompletedWritable = CreateCompleted();
    private TaskCompletionSource _writable = CompletedWritable;
    private long _lastSync = Stopwatch.GetTimestamp();
    private readonly List<Ack> _acks = [];

    // Handed from the writer to the sync thread (guarded by _syncGate): fsync runs beside the writes, never
    // in front of them, and the acknowledgements wait for it.
    private readonly object _syncGate = new(); // Monitor.Wait/Pulse: Lock has no condition variable
    private List<Ack> _syncAcks = [];
    private List<Ack> _syncAcksSpare = [];
    private bool _syncRequested;
    private bool _syncStopping;
    private Thread? _syncer;
    private long _syncMainLength;
    private long _syncLateLength;
    private bool _syncAcknowledging;
    private long _syncRequestId;
    private long _syncDoneId;

    // Writer thread: whether the journal's last word is that acknowledged clients are connected.
    private bool _journalAcknowledging;

    // Guarded by _statsGate.
    private long _writtenValues;
    private long _lateWritten;
    private long _writtenBytes;
    private long _pendingBytes;
    private long _writeErrors;

    /// <summary>True while writes fail: transports must not read more until <see cref="WhenWritable"/> completes.</summary>
    public bool Backpressured => _failing;

    /// <summary>Completes when writes work (at once when they do).</summary>
    public Task WhenWritable => Volatile.Read(ref _writable).Task;

    private static TaskCompletionSource CreateCompleted()
    {
        var done = new TaskCompletionSource();
        done.SetResult();
        return done;
    }

    /// <summary>Starts the writer thread.</summary>
    public void Start()
    {
        _writer = new Thread(WriterLoop) { Name = "horodate-writer", IsBackground = true };
        _syncer = new Thread(SyncLoop) { Name = "horodate-sync", IsBackground = true };
        _writer.Start();
        _syncer.Start();
    }

    /// <summary>
    /// The last step of a graceful stop, once no connection hands over values any more: writes every value
    /// received, in order, and makes the files durable (fsync). Values handed over after this are counted
    /// in <see cref="PipelineStatus.DroppedAtStop"/>.
    /// </summary>
    public void Stop()
    {
        _stopRequested.Set();
        _writer?.Join();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Stop();
        _output.Dispose();
        _lateFile?.Dispose();
        _journal?.Dispose();
        _stopRequested.Dispose();
    }

    private void WriterLoop()
    {
        while (!_stopRequested.Wait(_options.FlushInterval))
        {
            Flush(final: false);
        }

        // Final: everything received goes out, even what an open source still holds back.
        for (var attempt = 0; ; attempt++)
        {
            Flush(final: true);
            if (_writing.IsEmpty || attempt >= 50)
            {
                break;
            }

            Thread.Sleep(100); // a failing disk gets a few seconds to come back before we give up
        }

        lock (_syncGate)
        {
            _syncStopping = true;
            Monitor.PulseAll(_syncGate);
        }

        _syncer?.Join();
        Sync(_acks, _output.Length, _lateFile?.Length ?? _lateStartLength, acknowledging: false); // the final sync, as the contract says
    }

    private void Flush(bool final)
    {
        long rejectedFuture;
        bool acknowledging;
        var syncDue = final || Stopwatch.GetElapsedTime(_lastSync) >= _options.SyncInterval;
        _acks.Clear();
        lock (_gate)
        {
            var filling = _sink.Current;
            filling.NowMs = NowMs();
            _engine.Advance(filling.NowMs);
            if (final)
            {
                _engine.Drain();
                _sealed = true;
            }

            if (_writing.IsEmpty)
            {
                _sink.Current = _writing;
                _writing = filling;
            }
            else
            {
                _writing.Absorb(filling); // a previous write failed: keep the order
            }

            rejectedFuture = _engine.Counters.RejectedFuture;

            // Periodic fsync only serves acknowledged clients (and the journal's note that the last one left);
            // plain mode is made durable at the stop, and spares its writes the wait an fsync imposes on them.
            acknowledging = _acknowledged.Count > 0;
            syncDue &= final || acknowledging || _journalAcknowledging;
            syncDue |= AnyFinishingSettled(); // a finished client waits for this sync only: do not make it wait the interval
            if (syncDue)
            {
                CollectAcks();
            }
        }

        if (_journal is not null && acknowledging && !_journalAcknowledging)
        {
            // Before any acknowledged client's value reaches the files, the journal must say so: after a crash,
            // what follows is then cut and resent rather than kept and doubled.
            RequestSync(acknowledging: true, wait: true);
            _journalAcknowledging = true;
        }

        WriteOut();
        if (syncDue && _writing.IsEmpty && !final)
        {
            RequestSync(acknowledging, wait: false);
            _journalAcknowledging = acknowledging;
        }

        ReportFuture(rejectedFuture);
    }

    /// <summary>
    /// Asks the sync thread to fsync what was written so far, note it in the journal, then send the
    /// acknowledgements collected; with <paramref name="wait"/>, until it is done.
    /// </summary>
    private void RequestSync(bool acknowledging, bool wait)
    {
        _lastSync = Stopwatch.GetTimestamp();
        lock (_syncGate)
        {
            _syncAcks.AddRange(_acks);
            _acks.Clear();
            _syncMainLength = _output.Length;
            _syncLateLength = _lateFile?.Length ?? _lateStartLength;
            _syncAcknowledging = acknowledging;
            _syncRequested = true;
            var id = ++_syncRequestId;
            Monitor.Pulse(_syncGate);
            while (wait && _syncDoneId < id && !_syncStopping)
            {
                Monitor.Wait(_syncGate, 100);
            }
        }
    }

    private void SyncLoop()
    {
        while (true)
        {
            List<Ack> acks;
            long main, late, id;
            bool acknowledging;
            lock (_syncGate)
            {
                while (!_syncRequested && !_syncStopping)
                {
                    Monitor.Wait(_syncGate);
                }

                if (_syncStopping)
                {
                    return;
                }

                _syncRequested = false;
                acks = _syncAcks;
                _syncAcks = _syncAcksSpare;
                _syncAcksSpare = acks;
                (main, late, acknowledging, id) = (_syncMainLength, _syncLateLength, _syncAcknowledging, _syncRequestId);
            }

            Sync(acks, main, late, acknowledging);
            acks.Clear();
            lock (_syncGate)
            {
                _syncDoneId = id;
                Monitor.PulseAll(_syncGate);
            }
        }
    }

    /// <summary>
    /// Under the lock, right after the engine advanced: what each acknowledged source can be told once this
    /// flush is written and synced (everything it sent below the floor is in this batch or an earlier one).
    /// </summary>
    private void CollectAcks()
    {
        foreach (var (source, state) in _acknowledged)
        {
            var point = _engine.AckPoint(source);
            if (point > state.Last)
            {
                state.Last = point;
                _acks.Add(new Ack(state.Connection, point, state.ClientId));
            }
        }

        // A finished client whose values are all written gets its final acknowledgement (again the last value
        // if it was already sent: a cumulative line repeated is harmless), then nothing more.
        for (var i = _finishing.Count - 1; i >= 0; i--)
        {
            var source = _finishing[i];
            if (_engine.IsSettled(source) && _acknowledged.Remove(source, out var state))
            {
                _acks.Add(new Ack(state.Connection, state.Last, state.ClientId, Final: true));
                _finishing.RemoveAt(i);
            }
        }
    }

    /// <summary>Under the lock: whether a finished client's last value has been written (its final acknowledgement is due).</summary>
    private bool AnyFinishingSettled()
    {
        foreach (var source in _finishing)
        {
            if (_engine.IsSettled(source))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Makes everything written so far durable, notes it in the journal (keep-duplicates mode), then sends
    /// <paramref name="acks"/>. No acknowledgement if any of it fails.
    /// </summary>
    private void Sync(List<Ack> acks, long mainLength, long lateLength, bool acknowledging)
    {
        try
        {
            var started = Stopwatch.GetTimestamp();
            _output.Sync();
            Volatile.Read(ref _lateFile)?.Sync();
            _journal?.Append(mainLength, lateLength, acknowledging, StoredThrough(acks));
            Metrics?.RecordSync(started);
        }
        catch (IOException ex)
        {
            if (_writeErrorLog.TryAcquire(out _))
            {
                ServerLog.WriteFailed(_logger, _output.Path, ex.Message);
            }

            return; // not durable: no acknowledgement
        }

        if (acks.Count > 0)
        {
            Acknowledger?.Acknowledge(acks);
        }
    }

    /// <summary>Per named client, the highest acknowledgement in <paramref name="acks"/>.</summary>
    private static Dictionary<string, long> StoredThrough(List<Ack> acks)
    {
        var marks = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var ack in acks)
        {
            if (ack.ClientId is { } id && (!marks.TryGetValue(id, out var seen) || ack.Value > seen))
            {
                marks[id] = ack.Value;
            }
        }

        return marks;
    }

    private void WriteOut()
    {
        var batch = _writing;
        if (batch.IsEmpty)
        {
            return;
        }

        var path = _output.Path;
        try
        {
            if (batch.OrderedLength > 0)
            {
                var started = Stopwatch.GetTimestamp();
                _output.Append(batch.Ordered);
                Metrics?.RecordWrite(started);
                lock (_statsGate)
                {
                    _writtenValues += batch.OrderedValues;
                    _writtenBytes = _output.Length;
                    _lag.Add(batch.Lag);
                    _runLag.Add(batch.Lag);
                }

                batch.ClearOrdered();
            }

            if (batch.LateLength > 0)
            {
                path = _options.LateOutput;
                if (_lateFile is null)
                {
                    Volatile.Write(ref _lateFile, TimestampFile.Open(path, sorted: false));
                }

                _lateFile.Append(batch.Late);
                var late = batch.LateValues;
                lock (_statsGate)
                {
                    _lateWritten += late;
                }

                batch.ClearLate();
                if (_lateLog.TryAcquire(out var suppressed))
                {
                    ServerLog.LateValues(_logger, late, path, suppressed);
                }
            }

            if (_failing)
            {
                _failing = false;
                ServerLog.WriteRecovered(_logger, path, _writtenBytes);
                Interlocked.Exchange(ref _writable, CompletedWritable).TrySetResult();
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            if (!_failing)
            {
                // Push back: the transports stop reading until a write works again, so that memory stays
                // bounded and clients are slowed by TCP rather than their values dropped.
                _failing = true;
                Interlocked.CompareExchange(ref _writable, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), CompletedWritable);
            }

            lock (_statsGate)
            {
                _writeErrors++;
            }

            if (_writeErrorLog.TryAcquire(out _))
            {
                ServerLog.WriteFailed(_logger, path, ex.Message);
            }
        }

        lock (_statsGate)
        {
            _pendingBytes = batch.OrderedLength + batch.LateLength;
        }
    }

    private void ReportFuture(long rejectedFuture)
    {
        if (rejectedFuture > _reportedFuture && _futureLog.TryAcquire(out var suppressed))
        {
            ServerLog.FutureValues(_logger, rejectedFuture - _reportedFuture, _options.Ordering.MaxFutureMs, suppressed);
            _reportedFuture = rejectedFuture;
        }
    }
}
