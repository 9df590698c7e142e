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
/// </remarks>
/// <param name="limit">The most values held.</param>
/// <param name="capacity">Room for this many values from the first one on (at most <paramref name="limit"/>).</param>
internal sealed class UnackedBuffer(int limit, int capacity = UnackedBuffer.DefaultCapacity)
{
    /// <summary>The first array's room when the owner does not say: a few values.</summary>
    public const int DefaultCapacity = 8;

    private int[] _offsets = []; // none until the first value: a plain server's connections never keep any
    private long _base;
    private int _head;

    /// <summary>How many values are held.</summary>
    public int Count { get; private set; }

    /// <summary>The <paramref name="index"/>-th oldest value held.</summary>
    public long this[int index] => _base + _offsets[Slot(index)];

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

        if (Count == _offsets.Length)
        {
            if (_offsets.Length < limit)
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

        _offsets[Slot(Count)] = (int)(value - _base);
        Count++;
        return dropped;
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

    private int Slot(int index)
    {
        var slot = _head + index;
        return slot < _offsets.Length ? slot : slot - _offsets.Length;
    }

    private void Grow()
    {
        var length = _offsets.Length;
        Move(new int[Math.Min(limit, length == 0 ? Math.Max(1, capacity) : Math.Max(length + length / 2, length + 1))], _base);
    }

    /// <summary>Makes <paramref name="value"/> the base; drops (and counts) the held values too far from it.</summary>
    private int Rebase(long value)
    {
        var before = Count;
        Move(new int[_offsets.Length], value);
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
        _base = newBase;
        _head = 0;
        Count = kept;
    }
}
