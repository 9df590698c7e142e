using System.Runtime.CompilerServices;

namespace Horodate.Core.Ordering;

public sealed partial class OrderingEngine
{
    private const int None = -1;

    /// <summary>Per ring slot: how many active sources have their high at that value.</summary>
    private readonly int[] _holders;

    private SourceState[] _sources;
    private int _freeHead = None;
    private int _nextUnused;
    private int _openSources;
    private long _opened; // sources opened over the engine's life
    private int _activeSources;

    /// <summary>Active sources whose high is below the floor: each holds W at the floor.</summary>
    private int _belowFloor;

    // Active sources in order of last activity, oldest first: idle expiry only looks at the head.
    private int _lruHead = None;
    private int _lruTail = None;

    /// <summary>Open sources (connections), active or idle.</summary>
    public int OpenSources => _openSources;

    /// <summary>Sources that sent within <see cref="OrderingOptions.IdleTimeoutMs"/> (or were opened within it).</summary>
    public int ActiveSources => _activeSources;

    /// <summary>
    /// Registers a new source. Until its first value it holds the watermark at <paramref name="nowMs"/>, so
    /// that its first values are not late; it is active for <see cref="OrderingOptions.IdleTimeoutMs"/>.
    /// </summary>
    /// <returns>A handle for <see cref="Ingest(int, ReadOnlySpan{long}, EngineTime)"/> and <see cref="CloseSource"/>.</returns>
    public int OpenSource(long nowMs) => OpenSource(new EngineTime(nowMs, nowMs));

    /// <summary>Like <see cref="OpenSource(long)"/>, with wall and monotonic time apart.</summary>
    public int OpenSource(EngineTime now)
    {
        var nowMs = now.WallMs;
        int id;
        if (_freeHead != None)
        {
            id = _freeHead;
            _freeHead = _sources[id].Next;
        }
        else
        {
            if (_nextUnused == _sources.Length)
            {
                Array.Resize(ref _sources, _sources.Length * 2);
            }

            id = _nextUnused++;
        }

        if (nowMs >= _floor + _windowSize)
        {
            ForceFloor(nowMs - _windowSize + 1);
        }

        ref var state = ref _sources[id];
        state = new SourceState { High = nowMs, LastSeen = now.ListeningMs, LastReceived = -1, Open = true, Prev = None, Next = None, Opened = ++_opened };
        _openSources++;
        Activate(id, ref state);
        return id;
    }

    /// <summary>Forgets a source: it no longer holds the watermark. Its values already taken stay.</summary>
    public void CloseSource(int source)
    {
        ref var state = ref GetOpenSource(source);
        if (state.Active)
        {
            Deactivate(source, ref state);
        }

        state.Open = false;
        state.Next = _freeHead;
        _freeHead = source;
        _openSources--;
    }

    /// <summary>
    /// The source has sent its last value (its peer half-closed): it stops holding the watermark at once and
    /// for good, yet stays open, so that <see cref="AckPoint"/> can still be asked until it covers everything
    /// the source sent (<see cref="IsSettled"/>). Unlike <see cref="CloseSource"/>, which also forgets it.
    /// </summary>
    public void FinishSource(int source)
    {
        ref var state = ref GetOpenSource(source);
        state.Finished = true;
        if (state.Active)
        {
            Deactivate(source, ref state);
        }
    }

    /// <summary>
    /// True when everything <paramref name="source"/> sent has been written or decided: <see cref="AckPoint"/>
    /// covers its last value (or it sent none). A finished source then needs nothing more from the engine.
    /// </summary>
    public bool IsSettled(int source) => GetOpenSource(source).LastReceived < _floor;

    private ref SourceState GetOpenSource(int source)
    {
        if ((uint)source >= (uint)_nextUnused || !_sources[source].Open)
        {
            throw new ArgumentException($"Source {source} is not open.", nameof(source));
        }

        return ref _sources[source];
    }

    private void Touch(int id, ref SourceState state, long nowMs)
    {
        state.LastSeen = nowMs;
        if (state.Finished)
        {
            return; // a finished source never holds the watermark again
        }

        if (!state.Active)
        {
            Activate(id, ref state);
        }
        else if (_lruTail != id)
        {
            Unlink(ref state);
            Append(id, ref state);
        }
    }

    /// <summary>
    /// The source delivered a copy of a value the engine already has (a resend after a reconnect, a value the files held
    /// at a restart): it is alive, and it holds the watermark for its next values, which are not below this one. A copy
    /// only raises the hold, never lowers it (an old resend does not replace the clock reading taken at open).
    /// </summary>
    private void DeliveredCopy(ref SourceState state, long value)
    {
        if (value > state.High)
        {
            SetHigh(ref state, value);
        }
    }

    private void ExpireIdleSources(long nowMs)
    {
        var deadline = nowMs - _options.IdleTimeoutMs;
        while (_lruHead != None && _sources[_lruHead].LastSeen <= deadline)
        {
            Deactivate(_lruHead, ref _sources[_lruHead]);
        }
    }

    private void Activate(int id, ref SourceState state)
    {
        state.Active = true;
        _activeSources++;
        Hold(state.High);
        Append(id, ref state);
    }

    private void Deactivate(int id, ref SourceState state)
    {
        Release(state.High);
        Unlink(ref state);
        state.Active = false;
        _activeSources--;
    }

    private void SetHigh(ref SourceState state, long high)
    {
        if (state.Active)
        {
            Release(state.High);
            Hold(high);
        }

        state.High = high;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Hold(long high)
    {
        if (high < _floor)
        {
            _belowFloor++;
        }
        else
        {
            _holders[high & _windowMask]++;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Release(long high)
    {
        if (high < _floor)
        {
            _belowFloor--;
        }
        else
        {
            _holders[high & _windowMask]--;
        }
    }

    private void Append(int id, ref SourceState state)
    {
        state.Prev = _lruTail;
        state.Next = None;
        if (_lruTail != None)
        {
            _sources[_lruTail].Next = id;
        }
        else
        {
            _lruHead = id;
        }

        _lruTail = id;
    }

    private void Unlink(ref SourceState state)
    {
        if (state.Prev != None)
        {
            _sources[state.Prev].Next = state.Next;
        }
        else
        {
            _lruHead = state.Next;
        }

        if (state.Next != None)
        {
            _sources[state.Next].Prev = state.Prev;
        }
        else
        {
            _lruTail = state.Prev;
        }

        state.Prev = state.Next = None;
    }

    /// <summary>
    /// The highest v such that every value <paramref name="source"/> sent up to v has been written or decided
    /// (late, duplicate, resent, rejected): <c>min(highest received, Floor - 1)</c>; -1 before any value.
    /// Durable once the output holding everything below <see cref="Floor"/> is synced.
    /// </summary>
    public long AckPoint(int source)
    {
        ref var state = ref GetOpenSource(source);
        return state.LastReceived < 0 ? -1 : Math.Min(state.LastReceived, _floor - 1);
    }

    private struct SourceState
    {
        /// <summary>The highest value received, future-rejected ones included: what an acknowledgement can cover.</summary>
        public long LastReceived;
        public ClientState? Client;
        /// <summary>The highest value sent (a copy the engine already had included), or the clock at open until a value above it.</summary>
        public long High;
        public long LastSeen;
        public int Prev;
        public int Next;
        public bool Open;
        public bool Active;
        public bool HasValue;
        /// <summary>Sent its last value (<see cref="FinishSource"/>): never active again.</summary>
        public bool Finished;
        /// <summary>A named client's connection still resending what its mark covers (see <see cref="IsResend"/>).</summary>
        public bool Resending;
        /// <summary>Copies of the mark's value dropped as resends on this connection.</summary>
        public long ResentCopies;
        /// <summary>When it opened, as a count of the sources opened so far: which of a client's connections is its newest.</summary>
        public long Opened;
    }
}
