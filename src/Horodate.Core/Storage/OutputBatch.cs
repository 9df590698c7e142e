using Horodate.Core.Diagnostics;
using Horodate.Core.Ordering;
using Horodate.Core.Protocol;

namespace Horodate.Core.Storage;

/// <summary>
/// Collects what the engine decides, as the bytes to append: ordered lines for the output file and late
/// lines for the side file. Whole lines only, so every write of a batch ends on a line boundary.
/// </summary>
/// <remarks>Two batches alternate: the engine fills one under the pipeline's lock while the other is written out.</remarks>
public sealed class OutputBatch : IOrderedOutput
{
    // "1732200000000\n" is 14 bytes; 20 leave room for any 18-digit value and its newline.
    private const int MaxLineBytes = LineFormat.MaxLineBytes;

    private byte[] _ordered;
    private byte[] _late;

    /// <summary>Creates a batch whose buffers start at <paramref name="initialBytes"/> and grow as needed.</summary>
    public OutputBatch(int initialBytes = 64 * 1024)
    {
        _ordered = new byte[initialBytes];
        _late = new byte[Math.Max(256, initialBytes / 16)];
    }

    /// <summary>Bytes of ordered lines collected.</summary>
    public int OrderedLength { get; private set; }

    /// <summary>Bytes of late lines collected.</summary>
    public int LateLength { get; private set; }

    /// <summary>Ordered values collected (copies included).</summary>
    public long OrderedValues { get; private set; }

    /// <summary>Late values collected.</summary>
    public long LateValues { get; private set; }

    /// <summary>The clock reading output lag is measured against: set it before the engine writes.</summary>
    public long NowMs { get; set; }

    /// <summary>Output lag (clock minus value) of every ordered value collected, in milliseconds.</summary>
    public LatencyHistogram Lag { get; } = new();

    /// <summary>The ordered lines collected.</summary>
    public ReadOnlySpan<byte> Ordered => _ordered.AsSpan(0, OrderedLength);

    /// <summary>The late lines collected.</summary>
    public ReadOnlySpan<byte> Late => _late.AsSpan(0, LateLength);

    /// <summary>True when the batch holds no line.</summary>
    public bool IsEmpty => OrderedLength == 0 && LateLength == 0;

    /// <summary>Forgets the ordered lines (they were written), keeping the late ones.</summary>
    public void ClearOrdered()
    {
        OrderedLength = 0;
        OrderedValues = 0;
        Lag.Clear();
    }

    /// <summary>Forgets the late lines (they were written), keeping the ordered ones.</summary>
    public void ClearLate()
    {
        LateLength = 0;
        LateValues = 0;
    }

    /// <summary>Empties the batch.</summary>
    public void Reset()
    {
        ClearOrdered();
        ClearLate();
    }

    /// <summary>
    /// Moves everything <paramref name="newer"/> holds to the end of this batch and empties it: used when this
    /// batch could not be written yet, so that lines keep their order.
    /// </summary>
    public void Absorb(OutputBatch newer)
    {
        ArgumentNullException.ThrowIfNull(newer);
        AppendBytes(ref _ordered, OrderedLength, newer.Ordered);
        OrderedLength += newer.OrderedLength;
        AppendBytes(ref _late, LateLength, newer.Late);
        LateLength += newer.LateLength;
        OrderedValues += newer.OrderedValues;
        LateValues += newer.LateValues;
        Lag.Add(newer.Lag);
        newer.Reset();
    }

    private static void AppendBytes(ref byte[] buffer, int length, ReadOnlySpan<byte> bytes)
    {
        if (buffer.Length - length < bytes.Length)
        {
            Array.Resize(ref buffer, Math.Max(buffer.Length * 2, length + bytes.Length));
        }

        bytes.CopyTo(buffer.AsSpan(length));
    }

    /// <inheritdoc />
    public void Write(long value, int count)
    {
        for (var i = 0; i < count; i++)
        {
            Ensure(ref _ordered, OrderedLength);
            OrderedLength += LineFormat.Write(_ordered.AsSpan(OrderedLength), value);
        }

        OrderedValues += count;
        Lag.Record(NowMs - value, count);
    }

    /// <inheritdoc />
    public void WriteLate(long value)
    {
        Ensure(ref _late, LateLength);
        LateLength += LineFormat.Write(_late.AsSpan(LateLength), value);
        LateValues++;
    }

    private static void Ensure(ref byte[] buffer, int length)
    {
        if (buffer.Length - length < MaxLineBytes)
        {
            Array.Resize(ref buffer, buffer.Length * 2);
        }
    }
}
