using Horodate.Core.Protocol;

namespace Horodate.Client.Load;

/// <summary>
/// What the server sends a connection, line by line: the hello's answer (<c>OK</c>) and <c>ACK v</c> lines. Read by
/// its scheduler thread (plain sockets on Linux x86-64), or by the connection's watcher (TLS, other systems).
/// </summary>
internal static class ServerLines
{
    /// <summary>
    /// The most a partial line may hold: over two of the longest lines the server sends (<c>ACK</c> and 19 digits,
    /// 24 bytes; the hello's answer 18), rounded up. A longer one is none the protocol has: it is dropped.
    /// </summary>
    public const int MaxPartial = 64;

    /// <summary>
    /// Handles every complete line in <paramref name="data"/> for socket <paramref name="generation"/> of
    /// <paramref name="connection"/>; moves the partial line that ends it to its front and returns its length.
    /// </summary>
    public static int Read(ClientConnection connection, int generation, Span<byte> data)
    {
        var start = 0;
        int newline;
        while ((newline = data[start..].IndexOf((byte)'\n')) >= 0)
        {
            if (Handshake.TryParseServerLine(data.Slice(start, newline), out var ack, out var ok))
            {
                connection.NoteAckMode();
                connection.Greeted(generation);
                if (!ok)
                {
                    connection.NoteAck(ack);
                }
            }

            start += newline + 1;
        }

        var rest = data.Length - start;
        if (rest >= MaxPartial)
        {
            return 0; // a line longer than any the protocol has: drop it
        }

        data[start..].CopyTo(data);
        return rest;
    }
}
