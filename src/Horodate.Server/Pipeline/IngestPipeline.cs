using Horodate.Core.Diagnostics;
using Horodate.Core.Ordering;
using Horodate.Core.Storage;
using Horodate.Server.Diagnostics;
using Horodate.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace Horodate.Server.Pipeline;

/// <summary>
/// The one-way path from connections to files: connection handlers hand decoded values to
/// <c>Ingest</c>; the engine orders them under one lock; a dedicated writer thread advances the
/// engine every flush interval and appends the ready lines to the output file, outside the lock.
/// </summary>
/// <remarks>
/// The lock is taken once per decoded chunk (up to hundreds of values), never per value. The engine writes
/// into the "filling" batch; the writer swaps it for the empty one and writes it out, so file I/O never holds
/// the lock. A failed write keeps its batch and is retried, newer lines appended behind it, so the file
/// stays sorted and nothing accepted is dropped.
/// </remarks>
internal sealed partial class IngestPipeline : IDisposable
{
    private readonly Lock _gate = new();
    private readonly ServerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly OrderingEngine _engine;
    private readonly BatchSink _sink;
    private readonly TimestampFile _output;

    private bool _sealed;
    private readonly ClientJournal? _journal;
    private readonly long _lateStartLength;

    /// <summary>Acknowledged sources, their connection and the last value acknowledged (guarded by <c>_gate</c>).</summary>
    private readonly Dictionary<int, AckState> _acknowledged = [];

    private sealed class AckState(object connection, string? clientId)
    {
        public object Connection { get; } = connection;

        public string? ClientId { get; } = clientId;

        public long Last { get; set; } = -1;

        /// <summary>The client half-closed: it waits only for its final acknowledgement.</summary>
        public bool Finished { get; set; }
    }

    /// <summary>Acknowledged sources that finished sending and still wait for their final acknowledgement (guarded by <c>_gate</c>).</summary>
    private readonly List<int> _finishing = [];
    private long _droppedAtStop;

    private IngestPipeline(ServerOptions options, TimeProvider time, ILogger logger, TimestampFile output, ClientJournal? journal, ClientJournal.State? recovered, long lateLength)
    {
        _journal = journal;
        _lateStartLength = lateLength;
        _options = options;
        _time = time;
        _logger = logger;
        _output = output;
        _sink = new BatchSink(new OutputBatch());
        _writing = new OutputBatch();
        var resumed = output.Resume.Length > 0 || recovered is not null;
        _engine = new OrderingEngine(options.Ordering, _sink, output.Resume.LastValue, NowMs(), resumed);
        foreach (var value in output.Resume.RecentValues)
        {
            _engine.RememberStored(value);
        }

        foreach (var (id, storedThrough) in recovered?.Clients ?? new Dictionary<string, long>())
        {
            _engine.RememberClient(id, storedThrough);
        }

        _writtenBytes = output.Length;
    }

    /// <summary>What was found in the output file when it was opened.</summary>
    public ResumeInfo Resume => _output.Resume;

    /// <summary>
    /// Opens (or creates) the output file, resuming after its last value, and builds the engine. Call
    /// <see cref="Start"/> to begin writing.
    /// </summary>
    /// <exception cref="InvalidDataException">The output file is not a timestamp file.</exception>
    /// <exception cref="IOException">The output file cannot be opened.</exception>
    public static IngestPipeline Open(ServerOptions options, TimeProvider time, ILogger logger)
    {
        var output = TimestampFile.Open(options.Output, sorted: true);
        if (output.Resume.TruncatedBytes > 0)
        {
            ServerLog.TornLineCut(logger, options.Output, output.Resume.TruncatedBytes, output.Resume.LastValue);
        }

        if (output.Resume.LastValue is { } last)
        {
            ServerLog.Resuming(logger, options.Output, last, output.Resume.Length);
        }

        if (options.Ordering.Dedupe)
        {
            return new IngestPipeline(options, time, logger, output, null, null, 0);
        }

        // Keep-duplicates: the journal says which part of the files is durable and what each client has in
        // them. After a crash with acknowledged clients connected, what lies past that was never acknowledged:
        // it is cut, and those clients resend it, so that no copy is stored twice.
        var journalPath = options.Output + ".clients";
        long lateLength = 0;
        if (File.Exists(options.LateOutput))
        {
            using var late = TimestampFile.Open(options.LateOutput, sorted: false);
            lateLength = late.Length;
        }

        var state = ClientJournal.Recover(journalPath, output.Length, lateLength);
        if (state is { Acknowledging: true } && (state.MainLength < output.Length || state.LateLength < lateLength))
        {
            ServerLog.CutToJournal(logger, options.Output, output.Length - state.MainLength, lateLength - state.LateLength);
            output.Dispose();
            TimestampFile.CutTo(options.Output, state.MainLength);
            if (lateLength > 0)
            {
                TimestampFile.CutTo(options.LateOutput, state.LateLength);
                lateLength = state.LateLength;
            }

            output = TimestampFile.Open(options.Output, sorted: true);
        }

        var journal = ClientJournal.Create(journalPath, new ClientJournal.State(output.Length, lateLength, false, state?.Clients ?? new Dictionary<string, long>()));
        return new IngestPipeline(options, time, logger, output, journal, state, lateLength);
    }

    /// <summary>Registers a connection; it holds the watermark from now until its first value.</summary>
    public int OpenSource()
    {
        var now = NowMs();
        lock (_gate)
        {
            return _engine.OpenSource(now);
        }
    }

    /// <summary>Hands over values decoded from one connection, in the order received.</summary>
    public void Ingest(int source, ReadOnlySpan<long> values)
    {
        var now = NowMs();
        lock (_gate)
        {
            if (_sealed)
            {
                _droppedAtStop += values.Length;
                return;
            }

            _engine.Ingest(source, values, now);
        }
    }

    /// <summary>Hands over the values of many connections at once, under one lock.</summary>
    public void Ingest(IngestBatch batch)
    {
        var now = NowMs();
        lock (_gate)
        {
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

    /// <summary>Forgets a connection: it no longer holds the watermark.</summary>
    public void CloseSource(int source)
    {
        lock (_gate)
        {
            _engine.CloseSource(source);
            _acknowledged.Remove(source);
            _finishing.Remove(source);
        }
    }

    /// <summary>
    /// The acknowledged client on <paramref name="source"/> has finished sending (it half-closed its side):
    /// the source stops holding the watermark at once, and the connection stays open for its final
    /// acknowledgement (<see cref="Ack.Final"/>), which covers everything it sent and goes out with the first
    /// sync after the flush that writes its last value; that flush asks for the sync at once rather than
    /// waiting out <c>--sync-interval</c>. The transport closes the connection once the final one is sent.
    /// </summary>
    public void FinishSource(int source)
    {
        lock (_gate)
        {
            _engine.FinishSource(source);
            if (_acknowledged.TryGetValue(source, out var state) && !state.Finished)
            {
                state.Finished = true;
                _finishing.Add(source);
            }
        }
    }

    /// <summary>
    /// Turns on acknowledgements for <paramref name="source"/> (its hello arrived), named
    /// <paramref name="clientId"/> across reconnects if it gave a name.
    /// </summary>
    public void EnableAcks(int source, string? clientId, object connection)
    {
        lock (_gate)
        {
            _engine.Identify(source, clientId);
            _acknowledged[source] = new AckState(connection, clientId);
        }
    }

    /// <summary>Stops acknowledging <paramref name="source"/> (its connection is ending).</summary>
    public void DisableAcks(int source)
    {
        lock (_gate)
        {
            _acknowledged.Remove(source);
            _finishing.Remove(source);
        }
    }

    /// <summary>Where write and sync durations are recorded, if anywhere.</summary>
    public ServerMetrics? Metrics { get; set; }

    /// <summary>Where acknowledgements go; set by the transport before it accepts connections.</summary>
    public IAcknowledger? Acknowledger { get; set; }

    /// <summary>A consistent snapshot; <paramref name="takeLag"/> hands over (and resets) the lag histogram.</summary>
    public PipelineStatus Snapshot(bool takeLag)
    {
        OrderingCounters counters;
        int open, active;
        long floor, buffered, dropped;
        lock (_gate)
        {
            counters = _engine.Counters;
            open = _engine.OpenSources;
            active = _engine.ActiveSources;
            floor = _engine.Floor;
            buffered = _engine.BufferedValues;
            dropped = _droppedAtStop;
        }

        lock (_statsGate)
        {
            var lag = new LatencyHistogram();
            lag.Add(_lag);
            if (takeLag)
            {
                _lag.Clear();
            }

            var runLag = new LatencyHistogram();
            runLag.Add(_runLag);

            return new PipelineStatus
            {
                Counters = counters,
                OpenSources = open,
                ActiveSources = active,
                Floor = floor,
                BufferedValues = buffered,
                WrittenValues = _writtenValues,
                LateWritten = _lateWritten,
                OutputBytes = _writtenBytes,
                PendingBytes = _pendingBytes,
                WriteErrors = _writeErrors,
                DroppedAtStop = dropped,
                Lag = lag,
                RunLag = runLag,
            };
        }
    }

    private long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Lets the engine write into whichever batch is filling.</summary>
    private sealed class BatchSink(OutputBatch batch) : IOrderedOutput
    {
        public OutputBatch Current { get; set; } = batch;

        public void Write(long value, int count) => Current.Write(value, count);

        public void WriteLate(long value) => Current.WriteLate(value);
    }
}
