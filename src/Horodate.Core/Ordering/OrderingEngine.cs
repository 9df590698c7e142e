using System.Numerics;

namespace Horodate.Core.Ordering;

/// <summary>
/// Merges many sources of non-decreasing millisecond values into one ascending output, exactly: a value is
/// written once every active source has moved past it, so no later arrival can precede it.
/// </summary>
/// <remarks>
/// <para>
/// The watermark W is the lowest "high" (latest value) over active sources; a new source holds W at the
/// clock reading it was opened with until its first value. Everything below W is written. Values are
/// integer milliseconds, so both the buffered values and the sources' highs live in rings indexed by
/// <c>value &amp; mask</c>: sorting and dedupe need no comparison, and finding W means walking forward from
/// the write point until the first slot that holds a source. Every operation is O(1) amortised per value
/// and per millisecond of timeline; memory is fixed at construction.
/// </para>
/// <para>
/// The window invariant: every buffered value and every active source's high registered in the ring lies
/// in <c>[Floor, Floor + WindowSize)</c>. Sources whose high fell below <see cref="Floor"/> are only counted
/// (<c>_belowFloor</c>): they hold W at the floor. <see cref="OrderingOptions.MaxDelayMs"/> moves the floor
/// forward regardless, which bounds both the window and the output lag.
/// </para>
/// <para>Free of I/O and of clocks: the caller passes <c>nowMs</c>. Not thread-safe: one caller at a time.</para>
/// </remarks>
public sealed partial class OrderingEngine
{
    private readonly OrderingOptions _options;
    private readonly IOrderedOutput _output;
    private readonly long _windowSize;
    private readonly long _windowMask;
    private readonly int[] _counts;

    private long _floor;
    private long _maxBuffered;

    // The last value written to the ordered output (the file's end when resuming): with --keep-duplicates, a copy of
    // it that arrives late still keeps the output ascending, so it goes there rather than to .late.
    private long _orderedEnd = long.MinValue;
    private long _bufferedSlots;

    private long _received;
    private long _written;
    private long _duplicates;
    private long _late;
    private long _rejectedFuture;
    private long _resent;
    private readonly long _graceUntil;
    private long _forced;

    // Max-delay's bound on the floor: now − MaxDelay on the wall clock, but never advancing faster than the
    // listening clock (EngineTime.ListeningMs), so that a wall-clock step forward does not write everything in
    // flight at once, and a stall (the server not reading) does not move it past what waits in the socket buffers.
    private long _delayBound;
    private long _lastListeningMs;

    // Stalled time the bound has not caught up yet: once the server reads again, the bound advances at up to
    // twice real time until it is back at now − MaxDelay, so that stalls do not add up into a longer max-delay.
    private long _stallDebt;
    private long _lastStalledMs;

    /// <summary>Creates an engine that writes to <paramref name="output"/>.</summary>
    /// <param name="options">Merge options; validated here.</param>
    /// <param name="output">Receives the ordered values and the late ones.</param>
    /// <param name="lastWritten">The last value already in the output (when resuming a file), or <see langword="null"/>.</param>
    /// <param name="nowMs">The clock, in Unix milliseconds.</param>
    /// <param name="resumed">A restart (an existing file, a recovered journal): clients may come back to resend, so
    /// the write point waits <see cref="OrderingOptions.ResumeGraceMs"/>. Implied by <paramref name="lastWritten"/>.</param>
    public OrderingEngine(OrderingOptions options, IOrderedOutput output, long? lastWritten, long nowMs, bool resumed = false)
        : this(options, output, lastWritten, new EngineTime(nowMs, nowMs), resumed)
    {
    }

    /// <summary>Creates an engine that writes to <paramref name="output"/>, with wall and monotonic time apart.</summary>
    /// <param name="options">Merge options; validated here.</param>
    /// <param name="output">Receives the ordered values and the late ones.</param>
    /// <param name="lastWritten">The last value already in the output (when resuming a file), or <see langword="null"/>.</param>
    /// <param name="now">The clocks.</param>
    /// <param name="resumed">A restart (an existing file, a recovered journal): clients may come back to resend, so
    /// the write point waits at the file's end for <see cref="OrderingOptions.ResumeGraceMs"/>. Implied by <paramref name="lastWritten"/>.</param>
    public OrderingEngine(OrderingOptions options, IOrderedOutput output, long? lastWritten, EngineTime now, bool resumed)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        options.Validate();
        _options = options;
        _output = output;

        // The window must hold everything between the oldest value MaxDelay lets wait and the furthest
        // value MaxFuture lets in (twice that leaves room for late ticks), and, after a restart, everything
        // between the file's end and the furthest value let in before the grace ends: the outage, the grace
        // and MaxFuture. Rounded up to a power of two.
        var span = (2 * (options.MaxDelayMs + options.MaxFutureMs)) + options.ResumeOutageMs + options.ResumeGraceMs;
        _windowSize = (long)BitOperations.RoundUpToPowerOf2((ulong)Math.Max(4096, span));
        _windowMask = _windowSize - 1;
        _counts = new int[_windowSize];
        _holders = new int[_windowSize];
        _history = new ulong[(1 << options.DedupeHistoryBits) / 64];
        _historyMask = (1L << options.DedupeHistoryBits) - 1;
        _sources = new SourceState[16];

        var nowMs = now.WallMs;
        _delayBound = nowMs - options.MaxDelayMs;
        _lastListeningMs = now.ListeningMs;
        _lastStalledMs = now.StalledMs;
        _floor = Math.Max(_delayBound, lastWritten is { } last ? last + 1 : long.MinValue);
        if (lastWritten is { } resumeAt && nowMs - resumeAt <= CoveredOutageMs)
        {
            // Clients hold what was not acknowledged and resend it after reconnecting: the write point waits at
            // the file's end, whatever MaxDelay says, so that the resends land in order (not in .late).
            _floor = resumeAt + 1;
        }
        else if (lastWritten is null && resumed)
        {
            // A restart on a file left empty (a crash before anything was synced): its end is unknown, so the write
            // point waits as far back as the outage bound reaches.
            _floor = nowMs - CoveredOutageMs;
        }

        _floor = Math.Max(_floor, 0);
        _maxBuffered = _floor - 1;
        _orderedEnd = lastWritten ?? long.MinValue;
        if (lastWritten is { } l && l >= 0)
        {
            RememberStored(l); // within the history's reach only: after a long downtime its bit is another value's
            resumed = true;
        }

        if (resumed)
        {
            _graceUntil = now.ListeningMs + options.ResumeGraceMs;
        }
    }

    /// <summary>
    /// The longest outage after which the write point still waits at the file's end: the window less what may
    /// arrive before the grace ends (MaxFuture ahead of the clock, ResumeGrace later). At least
    /// <see cref="OrderingOptions.ResumeOutageMs"/>.
    /// </summary>
    public long CoveredOutageMs => _windowSize - _options.MaxFutureMs - _options.ResumeGraceMs;

    /// <summary>The lowest value that can still be written in order; everything below it was written or is late.</summary>
    public long Floor => _floor;

    /// <summary>
    /// Max-delay's bound on the write point: once the resume grace is over, everything below it is written, whatever
    /// holds the watermark (a value read later below it is late). About now − <see cref="OrderingOptions.MaxDelayMs"/>,
    /// advancing no faster than the listening clock (twice that while it catches up after a stall).
    /// </summary>
    public long DelayBound => _delayBound;

    /// <summary>How many milliseconds the rings span: <c>2 × (MaxDelay + MaxFuture) + ResumeOutage + ResumeGrace</c> rounded up to a power of two.</summary>
    public long WindowSize => _windowSize;

    /// <summary>Distinct values waiting for the watermark.</summary>
    public long BufferedValues => _bufferedSlots;

    /// <summary>What the engine has seen and done so far.</summary>
    public OrderingCounters Counters => new(_received, _written, _duplicates, _late, _rejectedFuture, _resent, _forced);

    /// <summary>
    /// Takes values from one source, in the order the source sent them. Values at or above <see cref="Floor"/>
    /// are buffered (or dropped as duplicates); lower ones go to <see cref="IOrderedOutput.WriteLate"/> unless
    /// already stored. Values more than <see cref="OrderingOptions.MaxFutureMs"/> ahead of
    /// <paramref name="nowMs"/> are rejected. Writes to the ordered output only if a value lies so far ahead
    /// that the window must move (see <see cref="Advance(EngineTime)"/>).
    /// </summary>
    public void Ingest(int source, ReadOnlySpan<long> values, long nowMs) => Ingest(source, values, new EngineTime(nowMs, nowMs));

    /// <summary>Like <see cref="Ingest(int, ReadOnlySpan{long}, long)"/>, with wall and monotonic time apart.</summary>
    public void Ingest(int source, ReadOnlySpan<long> values, EngineTime now)
    {
        var nowMs = now.WallMs;
        ref var state = ref GetOpenSource(source);
        var futureLimit = nowMs + _options.MaxFutureMs;
        var delivered = false;
        var client = state.Client;
        _received += values.Length;
        if (client is not null && client.Source != source)
        {
            // A connection its client replaced (a newer one said hello under its id): all it carries is dropped as
            // resends (the client resends it on the newer one), and its acknowledgement point does not move. An ACK there says what this server
            // took from it: a second live client presenting the same id would otherwise be told its values are
            // durable while they were dropped (README, Guarantees: one id, one client).
            _resent += values.Length;
            return;
        }

        foreach (var value in values)
        {
            if (value > state.LastReceived)
            {
                state.LastReceived = value;
            }

            if (client is not null && IsResend(ref state, client, value))
            {
                _resent++;
                if (value <= futureLimit)
                {
                    delivered = true; // a resend on the client's live connection: see DeliveredCopy
                    DeliveredCopy(ref state, value);
                }

                continue;
            }

            if (value > futureLimit)
            {
                _rejectedFuture++;
                continue;
            }

            if (_storedAhead is not null && IsStoredAhead(value))
            {
                _duplicates++;
                delivered = true;
                DeliveredCopy(ref state, value);
                continue;
            }

            delivered = true;
            if (value >= _floor + _windowSize)
            {
                ForceFloor(value - _windowSize + 1);
            }

            if (value >= _floor)
            {
                Buffer(value);
            }
            else
            {
                StoreLate(value);
            }

            // The first value replaces the clock reading taken at open; after that highs only rise.
            if (!state.HasValue || value > state.High)
            {
                state.HasValue = true;
                SetHigh(ref state, value);
            }
        }

        if (delivered)
        {
            Touch(source, ref state, now.ListeningMs);
        }
    }

    /// <summary>
    /// Moves time forward: sources silent for <see cref="OrderingOptions.IdleTimeoutMs"/> stop holding the
    /// watermark, everything older than <see cref="OrderingOptions.MaxDelayMs"/> is written, then every value
    /// below the watermark is written in ascending order. With no active source, everything buffered is written.
    /// </summary>
    public void Advance(long nowMs) => Advance(new EngineTime(nowMs, nowMs));

    /// <summary>
    /// Like <see cref="Advance(long)"/>, with wall and monotonic time apart: the idle timeout, the max-delay
    /// and the resume grace are timed on the monotonic clock, so that a step of the wall clock neither
    /// expires everything at once nor freezes expiry; and on its listening part only (<see cref="EngineTime.ListeningMs"/>),
    /// so that while the server does not read, no source counts as silent or lagging and the write point
    /// does not pass what the sources sent meanwhile.
    /// </summary>
    public void Advance(EngineTime now)
    {
        var listening = now.ListeningMs;
        ExpireIdleSources(listening);
        var elapsed = Math.Max(0, listening - _lastListeningMs);
        _lastListeningMs = Math.Max(_lastListeningMs, listening);
        _stallDebt += Math.Max(0, now.StalledMs - _lastStalledMs);
        _lastStalledMs = Math.Max(_lastStalledMs, now.StalledMs);
        var catchUp = Math.Min(_stallDebt, elapsed);
        var target = now.WallMs - _options.MaxDelayMs;
        _delayBound = Math.Min(target, _delayBound + elapsed + catchUp); // never faster than real time, twice that after a stall
        _stallDebt = _delayBound < target ? _stallDebt - catchUp : 0;
        if (listening < _graceUntil)
        {
            return; // clients may still come back to resend after a restart: the write point waits at the file's end
        }

        if (_floor < _delayBound)
        {
            ForceFloor(_delayBound);
        }

        if (_belowFloor != 0)
        {
            return; // a source holds W at the floor
        }

        var floor = _floor;
        var maxBuffered = _maxBuffered;
        while (floor <= maxBuffered && _holders[floor & _windowMask] == 0)
        {
            _ = EmitSlot(floor);
            floor++;
        }

        _floor = floor;
    }

    /// <summary>Writes every buffered value, whatever holds the watermark: the last step of a graceful stop.</summary>
    public void Drain()
    {
        if (_bufferedSlots != 0)
        {
            MoveFloor(_maxBuffered + 1, forced: false);
        }
    }
}
