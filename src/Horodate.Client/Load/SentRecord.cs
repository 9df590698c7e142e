using System.Buffers;
using Horodate.Core.Protocol;

namespace Horodate.Client.Load;

/// <summary>
/// Every value one scheduler thread sent, run-length encoded: a thread sends many values in the same
/// millisecond, so a run costs 12 bytes where a list would cost 8 per value.
/// </summary>
internal sealed class SentRecord
{
    private long[] _values = new long[1024];
    private int[] _counts = new int[1024];
    private int _runs;

    public void Add(long value)
    {
        if (_runs > 0 && _values[_runs - 1] == value && _counts[_runs - 1] < int.MaxValue)
        {
            _counts[_runs - 1]++;
            return;
        }

        if (_runs == _values.Length)
        {
            Array.Resize(ref _values, _runs * 2);
            Array.Resize(ref _counts, _runs * 2);
        }

        _values[_runs] = value;
        _counts[_runs] = 1;
        _runs++;
    }

    /// <summary>Writes the values of all <paramref name="records"/>, sorted, one line per copy.</summary>
    /// <returns>The number of values written.</returns>
    public static long WriteSorted(IReadOnlyList<SentRecord> records, string path)
    {
        var runs = records.Sum(r => r._runs);
        var values = new long[runs];
        var counts = new int[runs];
        var at = 0;
        foreach (var record in records)
        {
            Array.Copy(record._values, 0, values, at, record._runs);
            Array.Copy(record._counts, 0, counts, at, record._runs);
            at += record._runs;
        }

        Array.Sort(values, counts);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            long written = 0;
            var length = 0;
            for (var i = 0; i < runs; i++)
            {
                for (var c = 0; c < counts[i]; c++)
                {
                    if (buffer.Length - length < LineFormat.MaxLineBytes)
                    {
                        file.Write(buffer, 0, length);
                        length = 0;
                    }

                    length += LineFormat.Write(buffer.AsSpan(length), values[i]);
                    written++;
                }
            }

            file.Write(buffer, 0, length);
            return written;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
