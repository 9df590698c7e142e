using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Horodate.Core.Protocol;

/// <summary>One line to a value: the pure parser and its eight-digits-at-a-time arithmetic.</summary>
public sealed partial class LineDecoder
{
    /// <summary>
    /// Parses one line without its <c>\n</c>. Pure: the same bytes always give the same result.
    /// </summary>
    /// <returns><see cref="LineStatus.Value"/> with <paramref name="value"/> set, <see cref="LineStatus.Empty"/>,
    /// or why the line is rejected.</returns>
    public static LineStatus Parse(ReadOnlySpan<byte> line, out long value)
    {
        value = 0;
        if (!line.IsEmpty && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        if (line.IsEmpty)
        {
            return LineStatus.Empty;
        }

        if (line.Length > MaxDigits)
        {
            return line.ContainsAnyExceptInRange((byte)'0', (byte)'9') ? LineStatus.NotANumber : LineStatus.TooManyDigits;
        }

        // Eight digits at a time (SWAR: check and convert a whole ulong), then the rest one by one.
        long v = 0;
        var i = 0;
        for (; line.Length - i >= 8; i += 8)
        {
            var chunk = BinaryPrimitives.ReadUInt64LittleEndian(line[i..]);
            if (!AreEightDigits(chunk))
            {
                return LineStatus.NotANumber;
            }

            v = (v * 100_000_000) + (long)EightDigits(chunk);
        }

        for (; i < line.Length; i++)
        {
            var digit = (uint)(line[i] - '0');
            if (digit > 9)
            {
                return LineStatus.NotANumber;
            }

            v = (v * 10) + digit;
        }

        value = v;
        return LineStatus.Value;
    }

    /// <summary>True when all eight bytes are ASCII digits (each byte's high nibble is 3 and adding 6 does not carry out of it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool AreEightDigits(ulong chunk) =>
        ((chunk & 0xF0F0F0F0F0F0F0F0) | (((chunk + 0x0606060606060606) & 0xF0F0F0F0F0F0F0F0) >> 4)) == 0x3333333333333333;

    /// <summary>The value of eight ASCII digits read little-endian (first digit in the lowest byte): three multiply-shifts.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong EightDigits(ulong chunk)
    {
        chunk = ((chunk & 0x0F0F0F0F0F0F0F0F) * 2561) >> 8;               // pairs:   10 * a + b
        chunk = ((chunk & 0x00FF00FF00FF00FF) * 6553601) >> 16;           // quads:   100 * ab + cd
        return ((chunk & 0x0000FFFF0000FFFF) * 42949672960001) >> 32;      // octets:  10000 * abcd + efgh
    }
}
