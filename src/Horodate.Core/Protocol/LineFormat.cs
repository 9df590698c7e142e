using System.Buffers.Text;

namespace Horodate.Core.Protocol;

/// <summary>Writes values the way the protocol and the output file spell them: decimal digits and <c>\n</c>.</summary>
public static class LineFormat
{
    /// <summary>The most bytes one line can take: 19 digits for any <see cref="long"/> and the newline.</summary>
    public const int MaxLineBytes = 20;

    /// <summary>Writes <paramref name="value"/> and a newline to <paramref name="destination"/>.</summary>
    /// <returns>The bytes written.</returns>
    /// <exception cref="ArgumentException">The destination is shorter than the line.</exception>
    public static int Write(Span<byte> destination, long value)
    {
        if (!Utf8Formatter.TryFormat(value, destination, out var written) || written >= destination.Length)
        {
            throw new ArgumentException("Destination too short for a line.", nameof(destination));
        }

        destination[written] = (byte)'\n';
        return written + 1;
    }
}
