namespace Horodate.Core.Ordering;

public sealed partial class OrderingEngine
{
    // One bit per millisecond behind the floor: was this value stored (written or kept as late)?
    // Lets dedupe mode tell a late duplicate from a late newcomer without touching the file.
    private readonly ulong[] _history;
    private readonly long _historyMask;

    // Values the files hold at or above the floor at resume: .late can hold values above the main file's end (they
    // were late against a write point whose values a full disk then kept from the main file). A resent copy of one
    // is a duplicate; once the floor passes one, the history below the floor takes it over (simulator seed 46823).
    private SortedSet<long>? _storedAhead;

    /// <summary>
    /// Tells the engine that <paramref name="value"/> is already in the output (read back from the files when
    /// resuming), so that a resent copy counts as a duplicate rather than as late or new.
    /// </summary>
    public void RememberStored(long value)
    {
        if (value >= _floor)
        {
            _ = (_storedAhead ??= []).Add(value);
        }
        else if (_floor - value <= _historyMask)
        {
            MarkStored(value);
        }
    }

    /// <summary>Whether <paramref name="value"/> is one the files held at or above the floor at resume.</summary>
    private bool IsStoredAhead(long value)
    {
        var ahead = _storedAhead!;
        while (ahead.Count > 0 && ahead.Min < _floor)
        {
            var passed = ahead.Min;
            _ = ahead.Remove(passed);
            if (_floor - passed <= _historyMask)
            {
                MarkStored(passed);
            }
        }

        if (ahead.Count == 0)
        {
            _storedAhead = null;
            return false;
        }

        return ahead.Contains(value);
    }

    private bool IsStored(long value)
    {
        var bit = value & _historyMask;
        return (_history[bit >> 6] & (1UL << (int)(bit & 63))) != 0;
    }

    private void MarkStored(long value) => SetStored(value, true);

    private void SetStored(long value, bool stored)
    {
        var bit = value & _historyMask;
        ref var word = ref _history[bit >> 6];
        var mask = 1UL << (int)(bit & 63);
        word = stored ? word | mask : word & ~mask;
    }

    /// <summary>Clears the bits of <c>[from, to)</c>: values the floor jumps over were never stored.</summary>
    private void ForgetHistory(long from, long to)
    {
        if (to - from > _historyMask)
        {
            Array.Clear(_history);
            return;
        }

        for (var value = from; value < to; value++)
        {
            SetStored(value, false);
        }
    }
}
