using System.Diagnostics;
using Horodate.Core.Durability;
using Horodate.Core.Storage;
using Horodate.Server.Hosting;
using Horodate.Server.Logging;
using Horodate.Server.Sessions;
using Microsoft.Extensions.Logging;

namespace Horodate.Server.Pipeline;

/// <summary>
/// Runs the <see cref="IngestCore"/> on the real file system and clock with two threads: a writer thread
/// runs its flush step every flush interval (and sleeps while the core is quiescent), a sync thread its sync step (fsync, journal, acknowledgements)
/// whenever the writer posts one, so that an fsync runs beside the writes, never in front of them. The
/// connections' handlers call straight into the core (one lock per decoded chunk). Every decision (what to
/// write, when to sync, what is acknowledged, what recovery cuts) is the core's; this class only executes.
/// </summary>
internal sealed partial class IngestPipeline : IIngestSources, IDisposable
{
    private readonly ServerOptions _options;
    private readonly IngestCore _core;
    private readonly Task<string> _failed;
    private readonly ILogger _logger;
    // No spinning before blocking (spinCount 0): the writer waits a whole flush interval at a time, so a spin never
    // catches the event, and the default spin (35 rounds, with sched_yield calls) cost the writer more CPU than its
    // flushes at N = 2,000 (perf: ~12 sched_yield per wait, 100 waits a second).
    private readonly ManualResetEventSlim _stopRequested = new(false, spinCount: 0);
    private readonly ManualResetEventSlim _wake = new(false, spinCount: 0); // set by anything that gives a quiescent writer work, and by stop
    private volatile bool _writerAsleep;
    private readonly object _syncSignal = new(); // Monitor.Wait/Pulse: Lock has no condition variable
    private bool _syncStopping;
    private long _flushes;
    private Thread? _writer;
    private Thread? _syncer;

    private IngestPipeline(ServerOptions options, IngestCore core, Task<string> failed, ILogger logger)
    {
        _options = options;
        _core = core;
        _failed = failed;
        _logger = logger;
        core.SyncRequested = () =>
        {
            lock (_syncSignal)
            {
                Monitor.PulseAll(_syncSignal);
            }
        };
        core.SyncWaiter = WaitForSync;
    }

    /// <summary>What was found in the output file when it was opened.</summary>
    public ResumeInfo Resume => _core.Resume;

    /// <summary>How long a source that sends nothing holds the output (<c>--idle-timeout</c>).</summary>
    public TimeSpan IdleTimeout => TimeSpan.FromMilliseconds(_options.Ordering.IdleTimeoutMs);

    /// <summary>
    /// Opens (or creates) the output file, resuming after its last value, and builds the core. Call
    /// <see cref="Start"/> to begin writing.
    /// </summary>
    /// <exception cref="InvalidDataException">The output file is not a timestamp file.</exception>
    /// <exception cref="IOException">The output file cannot be opened.</exception>
    /// <param name="options">The output file, the ordering, the intervals.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">Where the core's reports are logged.</param>
    /// <param name="files">The file seam: the disk by default; an edge's JetStream frames.</param>
    /// <param name="timings">Where the durations of appends and syncs are recorded; nowhere by default.</param>
    public static IngestPipeline Open(ServerOptions options, TimeProvider time, ILogger logger, IFileSystem? files = null, PipelineTimings? timings = null)
    {
        var events = new Events(logger, time, options.Ordering.MaxFutureMs, timings);
        var ingest = new IngestOptions { Output = options.Output, Ordering = options.Ordering };
        var core = IngestCore.Open(
            ingest with
            {
                SyncIntervalMs = (long)options.SyncInterval.TotalMilliseconds,
                AckIntervalMs = (long)options.AckInterval.TotalMilliseconds,
                StallGapMs = IngestOptions.StallGapFor(options.Ordering, (long)options.FlushInterval.TotalMilliseconds),
            },
            files ?? PhysicalFileSystem.Instance, time, events);
        return new IngestPipeline(options, core, events.Failure.Task, logger);
    }

    /// <summary>Registers a connection; it holds the watermark from now until its first value.</summary>
    public int OpenSource()
    {
        var source = _core.OpenSource();
        WakeWriter();
        return source;
    }

    /// <inheritdoc />
    public int OpenSource(long heldFromMs)
    {
        var source = _core.OpenSource(heldFromMs);
        WakeWriter();
        return source;
    }

    /// <summary>Hands over values decoded from one connection, in the order received.</summary>
    public void Ingest(int source, ReadOnlySpan<long> values)
    {
        _core.Ingest(source, values);
        WakeWriter();
    }

    /// <summary>Hands over the values of many connections at once, under one lock.</summary>
    public void Ingest(IngestBatch batch)
    {
        _core.Ingest(batch);
        WakeWriter();
    }

    /// <summary>Forgets a connection: it no longer holds the watermark.</summary>
    public void CloseSource(int source) => _core.CloseSource(source);

    /// <summary>
    /// The client on <paramref name="source"/> has finished sending (it half-closed its side): the source stops
    /// holding the watermark at once; an acknowledged one gets its final acknowledgement once everything it sent
    /// is durable (<see cref="IngestCore.FinishSource"/>), after which the transport ends the connection.
    /// </summary>
    public void FinishSource(int source) => _core.FinishSource(source);

    /// <summary>
    /// Turns on acknowledgements for <paramref name="source"/> (its hello arrived), named
    /// <paramref name="clientId"/> across reconnects if it gave a name; they go to <paramref name="target"/>.
    /// </summary>
    public void EnableAcks(int source, string? clientId, IAckTarget target)
    {
        _core.EnableAcks(source, clientId, target);
        WakeWriter();
    }

    /// <summary>Stops acknowledging <paramref name="source"/> (its connection is ending).</summary>
    public void DisableAcks(int source) => _core.DisableAcks(source);

    /// <summary>True while writes fail: transports must not read more until <see cref="WhenWritable"/> completes.</summary>
    public bool Backpressured => _core.Backpressured;

    /// <summary>
    /// Completes, with why, when an fsync failed (<see cref="IIngestEvents.SyncFailed"/>): fatal, nothing is
    /// acknowledged any more; the server must stop and exit non-zero.
    /// </summary>
    public Task<string> Failed => _failed;

    /// <summary>Completes when writes work (at once when they do).</summary>
    public Task WhenWritable => _core.WhenWritable;

    /// <summary>
    /// Runs on the writer thread after every flush step (not the final one) that wrote everything it took, before the
    /// writer may sleep: what it does is in the writer's order (an edge's idle announcement, after the frames of
    /// everything it received). None by default.
    /// </summary>
    public Action? Flushed { get; set; }

    /// <summary>
    /// How an acknowledged client's <c>OK</c> is sent, given the action that sends it: at once by default (null); an
    /// edge's waits until the root holds its output for the edge (<see cref="Sinks.JetStream.EdgeGreeting"/>).
    /// </summary>
    public Action<Action>? Greeting { get; set; }

    /// <summary>Gives a writer asleep while quiescent one more flush step (and so a <see cref="Flushed"/> call).</summary>
    public void Wake() => WakeWriter();

    /// <summary>A consistent snapshot of the counts since the start (for <see cref="Status.StatusSource"/>).</summary>
    public IngestStatus Snapshot() => _core.Snapshot();

    /// <summary>Starts the writer and sync threads.</summary>
    public void Start()
    {
        _writer = new Thread(WriterLoop) { Name = "horodate-writer", IsBackground = true };
        _syncer = new Thread(SyncLoop) { Name = "horodate-sync", IsBackground = true };
        _writer.Start();
        _syncer.Start();
    }

    /// <summary>
    /// The step of a graceful stop once no connection hands over values any more, and before the connections
    /// close: writes every value received, in order, makes the files durable (fsync), and sends the last
    /// acknowledgements. Values handed over after this are counted in <see cref="Status.ServerStatus.DroppedAtStop"/>.
    /// </summary>
    public void Stop()
    {
        _stopRequested.Set();
        _wake.Set();
        _writer?.Join();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Stop();
        _core.Dispose();
        _stopRequested.Dispose();
        _wake.Dispose();
    }

    private void WriterLoop()
    {
        while (!_stopRequested.Wait(_options.FlushInterval))
        {
            Interlocked.Increment(ref _flushes);
            if (!_core.Flush(final: false))
            {
                continue;
            }

            Flushed?.Invoke();
            if (_core.Quiescent)
            {
                SleepUntilWoken();
            }
        }

        // Final: everything received goes out, even what an open source still holds back. A failing write gets
        // StopLimits.FinalWriteMax to come back, counted in time, not attempts: one attempt of an edge's sink may
        // itself wait out a publish timeout (nats-server down), and 50 of them made a stop last minutes.
        var giveUp = Stopwatch.GetTimestamp() + (long)(StopLimits.FinalWriteMax.TotalSeconds * Stopwatch.Frequency);
        var written = _core.Flush(final: true);
        while (!written && _core.Failure is null && Stopwatch.GetTimestamp() < giveUp)
        {
            Thread.Sleep(100);
            written = _core.Flush(final: true);
        }

        if (!written && _core.Failure is null)
        {
            ServerLog.StoppedUnwritten(_logger, _options.Output, _core.Snapshot().Writer.PendingBytes, StopLimits.FinalWriteMax.TotalSeconds);
        }

        lock (_syncSignal)
        {
            _syncStopping = true;
            Monitor.PulseAll(_syncSignal);
        }

        _syncer?.Join();
        _core.RunSync(); // a request the sync thread left behind
        _core.FinishStop(); // the final sync, as the contract says, then the last acknowledgements
    }

    /// <summary>Flush steps the writer has run (not counting the final one): a quiescent writer runs none.</summary>
    internal long Flushes => Interlocked.Read(ref _flushes);

    /// <summary>
    /// Nothing to do and nothing to come until a source opens or values arrive: sleep until then (or stop)
    /// instead of flushing every interval. Woken, the writer waits one flush interval as before, so a value
    /// that ends an idle period is written as promptly as any other.
    /// </summary>
    private void SleepUntilWoken()
    {
        _wake.Reset();
        _writerAsleep = true;
        Interlocked.MemoryBarrier(); // the flag is visible before quiescence is checked again (pairs with WakeWriter)
        if (_core.Quiescent && !_stopRequested.IsSet)
        {
            _core.Rest(); // sleeping on purpose is no stall of the process
            _wake.Wait();
        }

        _writerAsleep = false;
    }

    /// <summary>Wakes a quiescent writer; costs a fence and a read when it is awake.</summary>
    private void WakeWriter()
    {
        Interlocked.MemoryBarrier(); // what was handed over is visible before the flag is read (pairs with SleepUntilWoken)
        if (_writerAsleep)
        {
            _wake.Set();
        }
    }

    private void SyncLoop()
    {
        while (true)
        {
            lock (_syncSignal)
            {
                while (!_core.SyncPending && !_syncStopping)
                {
                    Monitor.Wait(_syncSignal);
                }

                if (_syncStopping)
                {
                    Monitor.PulseAll(_syncSignal);
                    return;
                }
            }

            _core.RunSync();
            lock (_syncSignal)
            {
                Monitor.PulseAll(_syncSignal);
            }
        }
    }

    /// <summary>The writer waits for a sync it needs (the journal's first acknowledging record).</summary>
    private bool WaitForSync()
    {
        lock (_syncSignal)
        {
            if (_syncStopping)
            {
                return false;
            }

            Monitor.Wait(_syncSignal, 100);
            return true;
        }
    }
}
