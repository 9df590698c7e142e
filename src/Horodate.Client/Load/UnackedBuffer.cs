namespace Horodate.Client.Load;

/// <summary>
/// The values one connection sent that the server has not acknowledged yet, oldest first: what is resent
/// after a reconnect. Starts small and doubles only while acknowledgements lag; never holds more than
/// its limit (the oldest values are dropped first, and counted). Owned by one scheduler thread.
/// </summary>
internal sealed class UnackedBuffer(int limit)
{
    private long[] _values = new long[Math.Min(8, limit)];
    private int _head;

    public int Count { get; private set; }

    /// <summary>The <paramref name="index"/>-th oldest value.</summary>
    public long this[int index] => _values[(_head + index) & (_values.Length - 1)];

    /// <summary>Keeps <paramref name="value"/>; returns true if the oldest value had to be dropped for it.</summary>
    public bool Push(long value)
    {
        var dropped = false;
        if (Count == _values.Length)
        {
            if (_values.Length < limit)
            {
                Grow();
            }
            else
            {
                _head = (_head + 1) & (_values.Length - 1);
                Count--;
                dropped = true;
            }
        }

        _values[(_head + Count) & (_values.Length - 1)] = value;
        Count++;
        return dropped;
    }

    /// <summary>Forgets every value ≤ <paramref name="ackedThrough"/>, adding it to <paramref name="acked"/> if given; returns how many.</summary>
    public int TrimThrough(long ackedThrough, SentRecord? acked)
    {
        var trimmed = 0;
        while (Count > 0 && _values[_head] <= ackedThrough)
        {
            acked?.Add(_values[_head]);
            _head = (_head + 1) & (_values.Length - 1);
            Count--;
            trimmed++;
        }

        return trimmed;
    }

    public void Clear()
    {
        _head = 0;
        Count = 0;
    }

    private void Grow()
    {
        // Capacities stay powers of two so that indexes wrap with a mask.
        var bigger = new long[Math.Min(_values.Length * 2, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)limit))];
        for (var i = 0; i < Count; i++)
        {
            bigger[i] = this[i];
        }

        _values = bigger;
        _head = 0;
    }
}
