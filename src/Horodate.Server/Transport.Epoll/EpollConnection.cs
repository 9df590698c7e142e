using System.Diagnostics;
using System.Net.Sockets;
using Horodate.Core.Protocol;
using Horodate.Server.Sessions;

namespace Horodate.Server.Transport.Epoll;

/// <summary>
/// One connection of the epoll transport: its socket and read state; the protocol is its <see cref="Session"/>.
/// Only the receive thread touches it once it is registered (acknowledgements go through <see cref="Acks"/>).
/// </summary>
internal sealed class EpollConnection(Socket socket, ProtocolSession session)
{
    public Socket Socket { get; } = socket;

    /// <summary>
    /// The socket's descriptor, for the receive thread's reads: valid until that thread disposes of
    /// <see cref="Socket"/> (the acknowledgement writer's sends go through the socket's handle, counted).
    /// </summary>
    public int Fd { get; } = (int)socket.Handle;

    public ProtocolSession Session { get; } = session;

    /// <summary>Where the acknowledged mode's lines are written.</summary>
    public SocketAckWriter Acks { get; } = new(socket);

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
