using System.Buffers;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.CompilerServices;

namespace Horodate.Core.Protocol;

/// <summary>
/// Decodes the wire protocol: one value per line, ASCII decimal digits (at most 18, no sign) then
/// <c>\n</c>, with an optional <c>\r</c> before it. Empty lines are ignored. Everything else is a
/// rejected line: counted, never turned into a value.
/// </summary>
/// <remarks>
/// One instance per connection: it carries the only state that spans reads (an overlong line being
/// discarded, the run of consecutive bad lines). It never allocates. Not thread-safe.
/// </remarks>
public sealed partial class LineDecoder
{
    /// <summary>The longest line accepted, in bytes, <c>\n</c> excluded (<c>\r</c> included). Longer lines are discarded whole.</summary>
    public const int MaxLineLength = 64;

    /// <summary>The most digits a value may have: 18 digits always fit in a <see cref="long"/>.</summary>
    public const int MaxDigits = 18;

    /// <summary>Consecutive rejected lines after which <see cref="ShouldClose"/> turns true.</summary>
    public const int MaxConsecutiveRejects = 100;

    /// <summary>Bytes without any newline after which <see cref="ShouldClose"/> turns true.</summary>
    public const int MaxBytesWithoutNewline = 4096;

    private bool _discarding;
    private bool _sawLine;
    private long _bytesSinceNewline;
    private int _consecutiveRejects;

    /// <summary>True once the first line was a <see cref="Handshake"/> hello: the peer wants acknowledgements.</summary>
    public bool AckRequested { get; private set; }

    /// <summary>The id the hello carried, if any.</summary>
    public string? ClientId { get; private set; }

    /// <summary>Lines rejected so far on this connection, all reasons together.</summary>
    public long RejectedLines { get; private set; }

    /// <summary>The status of the most recent rejected line.</summary>
    public LineStatus LastReject { get; private set; }

    /// <summary>
    /// True once the peer has shown it does not speak the protocol: <see cref="MaxConsecutiveRejects"/>
    /// bad lines in a row, or <see cref="MaxBytesWithoutNewline"/> bytes without a newline.
    /// </summary>
    public bool ShouldClose { get; private set; }

    /// <summary>
    /// Decodes complete lines from the front of <paramref name="buffer"/> into <paramref name="values"/>
    /// until either no complete line is left or <paramref name="values"/> is full, and slices the
    /// consumed bytes off <paramref name="buffer"/>. An incomplete last line stays in the buffer unless it
    /// is already too long, in which case it is consumed and the rest of it will be discarded as it comes.
    /// </summary>
    /// <returns>The number of values written to <paramref name="values"/>.</returns>
    public int Decode(ref ReadOnlySequence<byte> buffer, Span<long> values)
    {
        int count;
        if (buffer.IsSingleSegment)
        {
            // The common case (and the epoll transport's only one): walk the span, slice the sequence once.
            var consumed = DecodeSpan(buffer.FirstSpan, values, out count);
            buffer = buffer.Slice(consumed);
        }
        else
        {
            count = DecodeSegments(ref buffer, values);
        }

        if (count < values.Length && !ShouldClose)
        {
            HandleIncompleteTail(ref buffer);
        }

        return count;
    }

    private int DecodeSpan(ReadOnlySpan<byte> span, Span<long> values, out int count)
    {
        var position = 0; // start of the next line
        count = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            // Find the newlines 32 bytes at a time and walk the bit mask: one compare per block instead of
            // a search call per 14-byte line.
            var newline = Vector256.Create((byte)'\n');
            var block = 0;
            while (block + Vector256<byte>.Count <= span.Length && count < values.Length && !ShouldClose)
            {
                var mask = Vector256.Equals(Vector256.Create(span.Slice(block, Vector256<byte>.Count)), newline).ExtractMostSignificantBits();
                while (mask != 0 && count < values.Length && !ShouldClose)
                {
                    var end = block + BitOperations.TrailingZeroCount(mask);
                    mask &= mask - 1;
                    Accept(span[position..end], end - position, values, ref count);
                    position = end + 1;
                }

                if (mask != 0)
                {
                    return position; // values full, or closing: stop after the last line taken
                }

                block += Vector256<byte>.Count;
            }
        }

        while (count < values.Length && !ShouldClose)
        {
            var length = span[position..].IndexOf((byte)'\n');
            if (length < 0)
            {
                break;
            }

            Accept(span.Slice(position, length), length, values, ref count);
            position += length + 1;
        }

        return position;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Accept(ReadOnlySpan<byte> line, long length, Span<long> values, ref int count)
    {
        _bytesSinceNewline = 0;
        if (_discarding)
        {
            // The tail of an overlong line: already counted when it crossed the limit.
            _discarding = false;
            return;
        }

        var status = length > MaxLineLength ? LineStatus.TooLong : Parse(line, out values[count]);
        if (!_sawLine && status != LineStatus.Empty)
        {
            // Only the very first line may be the hello of the acknowledged mode.
            _sawLine = true;
            if (status == LineStatus.NotANumber && Handshake.TryParseHello(line, out var id))
            {
                AckRequested = true;
                ClientId = id;
                return;
            }
        }

        if (status == LineStatus.Value)
        {
            _consecutiveRejects = 0;
            count++;
        }
        else if (status != LineStatus.Empty)
        {
            Reject(status);
        }
    }

    /// <summary>
    /// Tells the decoder the peer closed the connection with <paramref name="remaining"/> bytes left over:
    /// a partial line is counted as <see cref="LineStatus.Truncated"/>, never taken as a value.
    /// </summary>
    public void Complete(in ReadOnlySequence<byte> remaining) => Complete(remaining.Length);

    /// <summary>As <see cref="Complete(in ReadOnlySequence{byte})"/>, given only how many bytes were left over.</summary>
    public void Complete(long remainingBytes)
    {
        if (remainingBytes > 0 && !_discarding)
        {
            Reject(LineStatus.Truncated);
        }
    }

    private void Reject(LineStatus reason)
    {
        RejectedLines++;
        LastReject = reason;
        if (++_consecutiveRejects >= MaxConsecutiveRejects)
        {
            ShouldClose = true;
        }
    }

    private void HandleIncompleteTail(ref ReadOnlySequence<byte> buffer)
    {
        if (buffer.Length <= MaxLineLength)
        {
            return; // wait for the rest of the line
        }

        // Too long to ever be a value: drop what we have and keep dropping until the newline.
        if (!_discarding)
        {
            _discarding = true;
            Reject(LineStatus.TooLong);
        }

        _bytesSinceNewline += buffer.Length;
        if (_bytesSinceNewline > MaxBytesWithoutNewline)
        {
            ShouldClose = true;
        }

        buffer = buffer.Slice(buffer.End);
    }
}
