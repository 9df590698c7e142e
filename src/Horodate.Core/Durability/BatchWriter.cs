using Horodate.Core.Diagnostics;
using Horodate.Core.Storage;

namespace Horodate.Core.Durability;

/// <summary>
/// Write with retry: takes what the engine decided (a filled <see cref="OutputBatch"/>), appends its ordered
/// lines to the main file and its late lines to <c>.late</c>, whole lines only. A failed write keeps its batch
/// and newer lines queue behind it, so the file stays sorted and nothing accepted is dropped; while writes
/// fail the transports are told to stop reading (<see cref="Backpressured"/>). Owned by one thread.
/// </summary>
public sealed class BatchWriter : IDisposable
{
    private static readonly TaskCompletionSource CompletedWritable = CreateCompleted();

    private readonly IFileSystem _files;
    private readonly string _latePath;
    private readonly IIngestEvents _events;
    private readonly TimeProvider _time;
    private readonly Lock _statsGate = new();
    private readonly LatencyHistogram _runLag = new();
    private OutputBatch _writing = new();
    private TimestampFile? _late;
    private volatile bool _failing;
    private TaskCompletionSource _writable = CompletedWritable;

    // Guarded by _statsGate.
    private long _writtenValues;
    private long _lateWritten;
    private long _writtenBytes;
    private long _pendingBytes;
    private long _writeErrors;

    /// <summary>Writes to <paramref name="main"/>; opens <paramref name="latePath"/> on the first late value.</summary>
    public BatchWriter(IFileSystem files, TimestampFile main, string latePath, long lateStartLength, IIngestEvents events, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(main);
        _files = files;
        Main = main;
        _latePath = latePath;
        LateStartLength = lateStartLength;
        _events = events;
        _time = time;
        _writtenBytes = main.Length;
    }

    /// <summary>The ordered file.</summary>
    public TimestampFile Main { get; }

    /// <summary>The file seam the files live on.</summary>
    public IFileSystem Files => _files;

    /// <summary>The side file of late values, once opened.</summary>
    public TimestampFile? Late => Volatile.Read(ref _late);

    /// <summary>The length <c>.late</c> had when the run began.</summary>
    public long LateStartLength { get; }

    /// <summary>The late file's length now.</summary>
    public long LateLength => Late?.Length ?? LateStartLength;

    /// <summary>True when everything taken so far reached the files.</summary>
    public bool IsEmpty => _writing.IsEmpty;

    /// <summary>True while writes fail: transports must not read more until <see cref="WhenWritable"/> completes.</summary>
    public bool Backpressured => _failing;

    /// <summary>Completes when writes work (at once when they do).</summary>
    public Task WhenWritable => Volatile.Read(ref _writable).Task;

    /// <summary>
    /// Takes the engine's filled batch; returns the empty one it fills next. Call under the ingest lock: when a
    /// previous write failed, the new lines are appended behind the old ones (order kept).
    /// </summary>
    public OutputBatch Take(OutputBatch filled)
    {
        ArgumentNullException.ThrowIfNull(filled);
        if (_writing.IsEmpty)
        {
            var empty = _writing;
            _writing = filled;
            return empty;
        }

        _writing.Absorb(filled);
        return filled;
    }

    /// <summary>Appends what was taken; returns true when all of it reached the files.</summary>
    public bool WriteOut()
    {
        var batch = _writing;
        if (batch.IsEmpty)
        {
            return true;
        }

        var path = Main.Path;
        try
        {
            if (batch.OrderedLength > 0)
            {
                var started = _time.GetTimestamp();
                Main.Append(batch.Ordered);
                _events.Wrote(started);
                lock (_statsGate)
                {
                    _writtenValues += batch.OrderedValues;
                    _writtenBytes = Main.Length;
                    _runLag.Add(batch.Lag);
                }

                batch.ClearOrdered();
            }

            if (batch.LateLength > 0)
            {
                path = _latePath;
                if (_late is null)
                {
                    Volatile.Write(ref _late, TimestampFile.Open(_files, path, sorted: false));
                }

                _late.Append(batch.Late);
                var late = batch.LateValues;
                lock (_statsGate)
                {
                    _lateWritten += late;
                }

                batch.ClearLate();
                _events.LateWritten(late, path);
            }

            if (_failing)
            {
                _failing = false;
                _events.WriteRecovered(path, Main.Length);
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

            _events.WriteFailed(path, ex.Message);
        }

        lock (_statsGate)
        {
            _pendingBytes = batch.OrderedLength + batch.LateLength;
        }

        return batch.IsEmpty;
    }

    /// <summary>Bytes decided but not yet in a file (non-zero while writes fail).</summary>
    public long PendingBytes
    {
        get
        {
            lock (_statsGate)
            {
                return _pendingBytes;
            }
        }
    }

    /// <summary>What was written so far, since the start: a copy, so that any number of readers can take differences.</summary>
    public WriterStats Stats()
    {
        lock (_statsGate)
        {
            var runLag = new LatencyHistogram();
            runLag.Add(_runLag);
            return new WriterStats(_writtenValues, _lateWritten, _writtenBytes, _pendingBytes, _writeErrors, runLag);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Main.Dispose();
        _late?.Dispose();
    }

    private static TaskCompletionSource CreateCompleted()
    {
        var done = new TaskCompletionSource();
        done.SetResult();
        return done;
    }
}

/// <summary>What a <see cref="BatchWriter"/> wrote since the start; <paramref name="RunLag"/> is the output lag of every value written, in ms.</summary>
public sealed record WriterStats(
    long WrittenValues, long LateWritten, long OutputBytes, long PendingBytes, long WriteErrors, LatencyHistogram RunLag);
