using System.Buffers.Text;
using System.Text;

namespace Horodate.Core.Protocol;

/// <summary>
/// The acknowledged mode of the protocol. A client that wants acknowledgements sends, as its first line,
/// <c>HELLO horodate/1 ack</c>, optionally followed by <c> id=TOKEN</c> (1 to 40 of <c>A-Z a-z 0-9 . _ -</c>), a
/// name that stays the same across its reconnects. The server answers <c>OK horodate/1 ack</c>, then sends
/// <c>ACK v</c> lines: every value ≤ v that this client sent is durably stored (or was rejected, counted,
/// never to be stored). A plain client never sends the hello and never receives a byte.
/// </summary>
/// <remarks>
/// The end: a client that has finished sending shuts down its sending side (a TCP half-close). The server
/// then stops waiting for its values, sends a last <c>ACK v</c> covering everything it sent once that is
/// durable (within one sync interval), and closes. No line is needed for this: the end of the byte stream
/// is TCP's own, unambiguous "nothing more", which a peer that dies never sends (it resets or goes silent),
/// and which every client library and <c>nc -N</c> can produce. For a plain connection it means the close.
/// </remarks>
public static class Handshake
{
    /// <summary>The most bytes an id may have.</summary>
    public const int MaxIdLength = 40; // the hello with an id must fit the 64-byte line limit

    /// <summary>The hello, without id and newline.</summary>
    public static ReadOnlySpan<byte> Hello => "HELLO horodate/1 ack"u8;

    /// <summary>The server's answer to the hello, newline included.</summary>
    public static ReadOnlySpan<byte> Ok => "OK horodate/1 ack\n"u8;

    /// <summary>The prefix of an acknowledgement line.</summary>
    public static ReadOnlySpan<byte> AckPrefix => "ACK "u8;

    /// <summary>The longest line the server sends: <c>ACK </c>, 19 digits, newline.</summary>
    public const int MaxAckLineBytes = 24;

    /// <summary>Builds the hello line a client sends, newline included.</summary>
    public static byte[] HelloLine(string? id)
    {
        if (id is not null && !IsValidId(Encoding.ASCII.GetBytes(id)))
        {
            throw new ArgumentException($"'{id}' is not a valid id: 1 to {MaxIdLength} of A-Z a-z 0-9 . _ -", nameof(id));
        }

        return Encoding.ASCII.GetBytes(id is null ? "HELLO horodate/1 ack\n" : $"HELLO horodate/1 ack id={id}\n");
    }

    /// <summary>Reads a line (without its newline) as a hello; <paramref name="id"/> is the id or null.</summary>
    public static bool TryParseHello(ReadOnlySpan<byte> line, out string? id)
    {
        id = null;
        if (!line.IsEmpty && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        if (!line.StartsWith(Hello))
        {
            return false;
        }

        var rest = line[Hello.Length..];
        if (rest.IsEmpty)
        {
            return true;
        }

        if (!rest.StartsWith(" id="u8) || !IsValidId(rest[4..]))
        {
            return false;
        }

        id = Encoding.ASCII.GetString(rest[4..]);
        return true;
    }

    /// <summary>Writes <c>ACK value\n</c>; returns the bytes written.</summary>
    public static int WriteAck(Span<byte> destination, long value)
    {
        AckPrefix.CopyTo(destination);
        return AckPrefix.Length + LineFormat.Write(destination[AckPrefix.Length..], value);
    }

    /// <summary>Reads a line the server sent (without newline): an ACK (<paramref name="ack"/> set) or the OK.</summary>
    public static bool TryParseServerLine(ReadOnlySpan<byte> line, out long ack, out bool ok)
    {
        ack = -1;
        ok = line.SequenceEqual(Ok[..^1]);
        if (ok)
        {
            return true;
        }

        return line.StartsWith(AckPrefix) && Utf8Parser.TryParse(line[AckPrefix.Length..], out ack, out var used) && used == line.Length - AckPrefix.Length;
    }

    internal static bool IsValidId(ReadOnlySpan<byte> id)
    {
        if (id.IsEmpty || id.Length > MaxIdLength)
        {
            return false;
        }

        foreach (var b in id)
        {
            if (!(char.IsAsciiLetterOrDigit((char)b) || b is (byte)'.' or (byte)'_' or (byte)'-'))
            {
                return false;
            }
        }

        return true;
    }
}
