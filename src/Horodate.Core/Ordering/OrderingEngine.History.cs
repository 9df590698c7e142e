namespace Horodate.Core.Ordering;

public sealed partial class OrderingEngine
{
    // One bit per millisecond behind the floor: was this value stored (written or kept as late)?
    // Lets dedupe mode tell a late duplicate from a late newcomer without touching the file.
    private readonly ulong[] _history;
    private readonly long _historyMask;

    /// <summary>
    /// Tells the engine that <paramref name="value"/>, below <see cref="Floor"/>, is already in the output (read
    /// back from the file when resuming), so that a resent copy counts as a duplicate rather than as late.
    /// </summary>
    public void RememberStored(long value)
    {
        if (value < _floor && _floor - value <= _historyMask)
        {
            MarkStored(value);
        }
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
