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
    private bool _failing;
    private long _lastSync = Stopwatch.GetTimestamp();
    private bool _unsynced;
    private readonly List<Ack> _acks = [];

    // Guarded by _statsGate.
    private long _writtenValues;
    private long _lateWritten;
    private long _writtenBytes;
    private long _pendingBytes;
    private long _writeErrors;

    /// <summary>Starts the writer thread.</summary>
    public void Start()
    {
        _writer = new Thread(WriterLoop) { Name = "horodate-writer", IsBackground = true };
        _writer.Start();
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

        _unsynced = true; // the final sync happens whatever was written, as the contract says
        Sync();
    }

    private void Flush(bool final)
    {
        long rejectedFuture;
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
            if (syncDue)
            {
                CollectAcks();
            }
        }

        WriteOut();
        if (syncDue && _writing.IsEmpty)
        {
            Sync();
            if (_acks.Count > 0)
            {
                Acknowledger?.Acknowledge(_acks);
            }
        }

        ReportFuture(rejectedFuture);
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
                _acks.Add(new Ack(state.Connection, point));
            }
        }
    }

    /// <summary>Makes what was written durable, if anything was written since the last sync.</summary>
    private void Sync()
    {
        _lastSync = Stopwatch.GetTimestamp();
        if (!_unsynced)
        {
            return;
        }

        try
        {
            _output.Sync();
            _lateFile?.Sync();
            _unsynced = false;
        }
        catch (IOException ex)
        {
            _acks.Clear(); // not durable: no acknowledgement
            if (_writeErrorLog.TryAcquire(out _))
            {
                ServerLog.WriteFailed(_logger, _output.Path, ex.Message);
            }
        }
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
                _output.Append(batch.Ordered);
                lock (_statsGate)
                {
                    _writtenValues += batch.OrderedValues;
                    _writtenBytes = _output.Length;
                    _lag.Add(batch.Lag);
                    _runLag.Add(batch.Lag);
                }

                batch.ClearOrdered();
                _unsynced = true;
            }

            if (batch.LateLength > 0)
            {
                path = _options.LateOutput;
                _lateFile ??= TimestampFile.Open(path, sorted: false);
                _lateFile.Append(batch.Late);
                var late = batch.LateValues;
                lock (_statsGate)
                {
                    _lateWritten += late;
                }

                batch.ClearLate();
                _unsynced = true;
                if (_lateLog.TryAcquire(out var suppressed))
                {
                    ServerLog.LateValues(_logger, late, path, suppressed);
                }
            }

            if (_failing)
            {
                _failing = false;
                ServerLog.WriteRecovered(_logger, path, _writtenBytes);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            _failing = true;
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
