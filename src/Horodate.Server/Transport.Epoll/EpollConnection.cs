using System.Diagnostics;
using Horodate.Core.Protocol;
using Horodate.Server.Sessions;

namespace Horodate.Server.Transport.Epoll;

/// <summary>
/// One connection of the epoll transport: its socket's descriptor and read state; the protocol is its
/// <see cref="Session"/>. Only the receive thread touches it once it is registered (acknowledgements go through
/// <see cref="Acks"/>, which owns the descriptor).
/// </summary>
internal sealed class EpollConnection(int fd, ProtocolSession session)
{
    /// <summary>
    /// The socket's descriptor (non-blocking, from <c>accept4</c>), for the receive thread's reads: valid until that
    /// thread closes it through <see cref="Acks"/>.
    /// </summary>
    public int Fd { get; } = fd;

    public ProtocolSession Session { get; } = session;

    /// <summary>Where the acknowledged mode's lines are written; it closes the descriptor.</summary>
    public SocketAckWriter Acks { get; } = new(fd);

    /// <summary>The start of a line that the last read cut in two (at most <see cref="LineDecoder.MaxLineLength"/> bytes).</summary>
    public byte[] Leftover { get; } = new byte[LineDecoder.MaxLineLength];

    public int LeftoverLength { get; set; }

    /// <summary>Where the connection sits in the transport's table (the epoll event's data).</summary>
    public int Slot { get; set; }

    /// <summary>When the connection last delivered bytes (a Stopwatch timestamp), for the read timeout.</summary>
    public long LastRead { get; set; } = Stopwatch.GetTimestamp();

    /// <summary>
    /// The acknowledged client half-closed: no more reads, the connection waits for its final acknowledgement
    /// (after which the sending thread shuts our side down, and the hang-up that follows closes it).
    /// </summary>
    public bool Finishing { get; set; }

    /// <summary>Set when the connection must be closed after the current batch has been handed over.</summary>
    public bool Closing { get; set; }
}
