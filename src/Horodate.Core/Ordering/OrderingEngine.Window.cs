namespace Horodate.Core.Ordering;

/// <summary>The window's slots: buffering a value, storing a late one, and writing slots as the floor moves.</summary>
public sealed partial class OrderingEngine
{
    private void Buffer(long value)
    {
        var index = value & _windowMask;
        var count = _counts[index];
        if (count == 0)
        {
            _counts[index] = 1;
            _bufferedSlots++;
            if (value > _maxBuffered)
            {
                _maxBuffered = value;
            }
        }
        else if (_options.Dedupe)
        {
            _duplicates++;
        }
        else if (count < int.MaxValue)
        {
            _counts[index] = count + 1;
        }
        else
        {
            StoreLate(value); // 2^31 copies of one millisecond: spill rather than overflow
        }
    }

    private void StoreLate(long value)
    {
        if (!_options.Dedupe && value == _orderedEnd)
        {
            // Another copy of the value the output ends with (another client's, received after a restart or after its
            // connection stopped holding the write point): appended there, the output stays ascending.
            _written++;
            _output.Write(value, 1);
            return;
        }

        if (_options.Dedupe && _floor - value <= _historyMask)
        {
            if (IsStored(value))
            {
                _duplicates++;
                return;
            }

            MarkStored(value);
        }

        _late++;
        _output.WriteLate(value);
    }

    /// <summary>Writes every slot below <paramref name="target"/>, whatever holds the watermark.</summary>
    private void ForceFloor(long target) => MoveFloor(target, forced: true);

    private void MoveFloor(long target, bool forced)
    {
        var floor = _floor;
        while (floor < target)
        {
            if (_bufferedSlots == 0 && _activeSources == _belowFloor)
            {
                // Nothing buffered and no source in the window: jump.
                ForgetHistory(floor, target);
                floor = target;
                break;
            }

            var index = floor & _windowMask;
            var holders = _holders[index];
            var written = EmitSlot(floor);
            if (forced && (holders != 0 || _belowFloor != 0))
            {
                _forced += written; // a source could still send this value: written ahead of the watermark
            }

            if (holders != 0)
            {
                // These sources' highs fall below the new floor: they now hold W at the floor.
                _belowFloor += holders;
                _holders[index] = 0;
            }

            floor++;
        }

        _floor = floor;
    }

    /// <returns>How many values were written (copies included).</returns>
    private int EmitSlot(long value)
    {
        var index = value & _windowMask;
        var count = _counts[index];
        if (count == 0)
        {
            SetStored(value, false);
            return 0;
        }

        _counts[index] = 0;
        _bufferedSlots--;
        _written += count;
        _orderedEnd = value;
        SetStored(value, true);
        _output.Write(value, count);
        return count;
    }
}
