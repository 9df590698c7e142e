using System.Buffers;
using System.Runtime.CompilerServices;

namespace Horodate.Core.Protocol;

/// <summary>
/// The multi-segment path: lines read one at a time from a <see cref="ReadOnlySequence{T}"/> of several
/// segments (the Kestrel transport's pipes), a line split across segments copied to a scratch buffer.
/// </summary>
public sealed partial class LineDecoder
{
    private int DecodeSegments(ref ReadOnlySequence<byte> buffer, Span<long> values)
    {
        var count = 0;
        while (count < values.Length && !ShouldClose && TryReadLine(ref buffer, out var line, out var length))
        {
            Accept(line, length, values, ref count);
        }

        return count;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryReadLine(ref ReadOnlySequence<byte> buffer, out ReadOnlySpan<byte> line, out long lineLength)
    {
        if (buffer.IsSingleSegment)
        {
            var span = buffer.FirstSpan;
            var index = span.IndexOf((byte)'\n');
            if (index < 0)
            {
                line = default;
                lineLength = 0;
                return false;
            }

            line = span[..index];
            lineLength = index;
            buffer = buffer.Slice(index + 1);
            return true;
        }

        return TryReadLineMultiSegment(ref buffer, out line, out lineLength);
    }

    [ThreadStatic]
    private static byte[]? t_lineScratch;

    private static bool TryReadLineMultiSegment(ref ReadOnlySequence<byte> buffer, out ReadOnlySpan<byte> line, out long lineLength)
    {
        var newline = buffer.PositionOf((byte)'\n');
        if (newline is null)
        {
            line = default;
            lineLength = 0;
            return false;
        }

        var lineSequence = buffer.Slice(0, newline.Value);
        lineLength = lineSequence.Length;
        buffer = buffer.Slice(buffer.GetPosition(1, newline.Value));
        if (lineSequence.IsSingleSegment)
        {
            line = lineSequence.FirstSpan;
        }
        else if (lineLength <= MaxLineLength)
        {
            // A line split across segments: copy it (at most 64 bytes) so it parses like any other.
            var scratch = t_lineScratch ??= new byte[MaxLineLength];
            lineSequence.CopyTo(scratch);
            line = scratch.AsSpan(0, (int)lineLength);
        }
        else
        {
            line = default; // too long: rejected by length, the content does not matter
        }

        return true;
    }
}
