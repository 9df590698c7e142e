namespace Horodate.Core.Durability;

/// <summary>
/// Values decoded from several connections, grouped in runs by source, handed to the pipeline under one
/// lock. Filled by one thread (a transport's receive loop), reused across batches: no allocation.
/// </summary>
public sealed class IngestBatch(int capacity)
{
    private readonly long[] _values = new long[capacity];
    private readonly int[] _sources = new int[capacity];
    private readonly int[] _ends = new int[capacity];
    private int _count;
    private int _segments;
    private int _pendingSource = -1;

    /// <summary>True when no value was committed since the last <see cref="Clear"/>.</summary>
    public bool IsEmpty => _count == 0;

    /// <summary>Runs of values from one source.</summary>
    public int Segments => _segments;

    /// <summary>The free space, for values of <paramref name="source"/>; follow with <see cref="Commit"/>.</summary>
    public Span<long> Room(int source)
    {
        _pendingSource = source;
        return _values.AsSpan(_count);
    }

    /// <summary>Keeps the first <paramref name="count"/> values written into the last <see cref="Room"/>.</summary>
    public void Commit(int count)
    {
        if (count == 0)
        {
            return;
        }

        _count += count;
        if (_segments > 0 && _sources[_segments - 1] == _pendingSource)
        {
            _ends[_segments - 1] = _count;
            return;
        }

        _sources[_segments] = _pendingSource;
        _ends[_segments] = _count;
        _segments++;
    }

    /// <summary>The values of run <paramref name="index"/> and the source they came from.</summary>
    public ReadOnlySpan<long> Segment(int index, out int source)
    {
        source = _sources[index];
        var start = index == 0 ? 0 : _ends[index - 1];
        return _values.AsSpan(start, _ends[index] - start);
    }

    /// <summary>Empties the batch for reuse.</summary>
    public void Clear() => _count = _segments = 0;
}
