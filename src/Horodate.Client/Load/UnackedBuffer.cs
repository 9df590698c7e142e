using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Horodate.Client.Load;

/// <summary>
/// The values one connection sent that the server has not acknowledged yet, in the order sent: what is resent
/// after a reconnect. Holds nothing until its first value, then <c>capacity</c> values, and grows by half only while
/// acknowledgements lag; never holds more than its limit (the oldest values are dropped first, and counted). Owned by
/// one scheduler thread.
/// </summary>
/// <remarks>
/// It is the client's largest live data in acknowledged mode: at 5,000 connections each holds about one
/// <c>--ack-interval</c> of values (5 s at 20 values/s, ~100 values), more while the first acknowledgement comes.
/// So each value is kept in 32 bits, as its distance in milliseconds from a base (the first value kept after the
/// buffer was empty), and capacities grow by half rather than double: ~0.5 KiB per connection instead of the 1–2
/// KiB of doubled arrays of longs (docs/performance.md, Native). A distance fits in an int up to ±24.8 days: a
/// value further from the base (the clock stepped by that much while values wait) moves the base, and the
/// values too far from it are dropped, oldest first, as the limit drops them. The first array has room for what the
/// connection keeps between two acknowledgements (the load client sizes it so): growing to it from a few values
/// left ~8 MB of short-lived arrays at 5,000 connections in the first seconds, promoted by the ramp's collections,
/// and ~5 MiB on the native client's peak (docs/performance.md, the client's memory).
/// <para>
/// It is a struct, a field of its connection, and it keeps its array's length itself: a value kept per send touches
/// the connection's fields, the array's header and the slot it writes, and the scheduler prefetches the last two
/// during the send before (<see cref="PrefetchNext"/>). As an object of its own it cost, per send, a cache miss on that
/// object and one on its array's header, ~3 % of the acknowledged client's CPU at 5,000 connections
/// (docs/performance.md, "The acknowledged client at N = 5,000"). Keep it in a mutable field and call it there: a
/// copy would be a second buffer.
/// </para>
/// </remarks>
internal struct UnackedBuffer
{
    /// <summary>The first array's room when the owner does not say: a few values.</summary>
    public const int DefaultCapacity = 8;

    private readonly int _limit;
    private readonly int _capacity;
    private int[] _offsets; // none until the first value: a plain server's connections never keep any
    private int _length; // _offsets.Length, read here rather than from the array's header
    private long _base;
    private int _head;

    /// <param name="limit">The most values held.</param>
    /// <param name="capacity">Room for this many values from the first one on (at most <paramref name="limit"/>).</param>
    public UnackedBuffer(int limit, int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1); // a full buffer drops its oldest to make room: there must be one
        _limit = limit;
        _capacity = capacity;
        _offsets = [];
    }

    /// <summary>How many values are held.</summary>
    public int Count { readonly get; private set; }

    /// <summary>The <paramref name="index"/>-th oldest value held.</summary>
    public readonly long this[int index] => _base + _offsets[Slot(index)];

    /// <summary>Adds the newest value; returns how many old ones were dropped to make room (0 almost always).</summary>
    public int Push(long value)
    {
        var dropped = 0;
        if (Count == 0)
        {
            _base = value;
            _head = 0;
        }
        else if (!Fits(value - _base))
        {
            dropped += Rebase(value);
        }

        if (Count == _length)
        {
            if (_length < _limit)
            {
                Grow();
            }
            else
            {
                _head = Slot(1);
                Count--;
                dropped++;
            }
        }

        // Slot(Count) < _length, the array's length: written without a bounds check. The array's header is still read
        // (its null check), another cache line than the slot's: the scheduler prefetches both (PrefetchNext).
        Debug.Assert((uint)Slot(Count) < (uint)_offsets.Length && _length == _offsets.Length, "the unchecked write stays in the array");
        Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_offsets), Slot(Count)) = (int)(value - _base);
        Count++;
        return dropped;
    }

    /// <summary>
    /// Asks the CPU (x86) to bring into its cache what the next <see cref="Push"/> touches in the array: its header (the
    /// array is null-checked through it) and the slot. A hint: the address is used at once, and a stale one is harmless.
    /// </summary>
    public readonly unsafe void PrefetchNext()
    {
        if (Sse.IsSupported)
        {
            var offsets = _offsets;
            var address = (byte*)Unsafe.As<int[], nint>(ref offsets);
            Sse.Prefetch0(address);
            Sse.Prefetch0(address + (2 * sizeof(nint)) + (sizeof(int) * Slot(Count)));
        }
    }

    /// <summary>Forgets the oldest values up to <paramref name="ackedThrough"/>, listing them in <paramref name="acked"/>; returns how many.</summary>
    public int TrimThrough(long ackedThrough, SentRecord? acked)
    {
        var trimmed = 0;
        while (Count > 0 && this[0] <= ackedThrough)
        {
            acked?.Add(this[0]);
            _head = Slot(1);
            Count--;
            trimmed++;
        }

        return trimmed;
    }

    /// <summary>Forgets every value.</summary>
    public void Clear()
    {
        _head = 0;
        Count = 0;
    }

    private static bool Fits(long distance) => distance is >= int.MinValue and <= int.MaxValue;

    private readonly int Slot(int index)
    {
        var slot = _head + index;
        return slot < _length ? slot : slot - _length;
    }

    private void Grow()
    {
        var length = _length;
        Move(new int[Math.Min(_limit, length == 0 ? Math.Max(1, _capacity) : Math.Max(length + length / 2, length + 1))], _base);
    }

    /// <summary>Makes <paramref name="value"/> the base; drops (and counts) the held values too far from it.</summary>
    private int Rebase(long value)
    {
        var before = Count;
        Move(new int[_length], value);
        return before - Count;
    }

    /// <summary>Copies the held values, oldest first, into <paramref name="offsets"/> as distances from <paramref name="newBase"/>, keeping those that fit.</summary>
    private void Move(int[] offsets, long newBase)
    {
        var kept = 0;
        for (var i = 0; i < Count; i++)
        {
            var distance = this[i] - newBase;
            if (Fits(distance))
            {
                offsets[kept++] = (int)distance;
            }
        }

        _offsets = offsets;
        _length = offsets.Length;
        _base = newBase;
        _head = 0;
        Count = kept;
    }
}
