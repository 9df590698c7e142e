using System.Net.Sockets;
using Horodate.Core.Protocol;

namespace Horodate.Server.Transport.Epoll;

/// <summary>One connection of the epoll transport. Only the receive thread touches it once it is registered.</summary>
internal sealed class EpollConnection(Socket socket, int source, string? remote)
{
    public Socket Socket { get; } = socket;

    /// <summary>The connection's handle in the ordering engine.</summary>
    public int Source { get; } = source;

    public string? Remote { get; } = remote;

    public LineDecoder Decoder { get; } = new();

    /// <summary>The start of a line that the last read cut in two (at most <see cref="LineDecoder.MaxLineLength"/> bytes).</summary>
    public byte[] Leftover { get; } = new byte[LineDecoder.MaxLineLength];

    public int LeftoverLength { get; set; }

    /// <summary>Where the connection sits in the transport's table (the epoll event's data).</summary>
    public int Slot { get; set; }

    public long Values { get; set; }

    /// <summary>When the connection last delivered bytes (a Stopwatch timestamp), for the read timeout.</summary>
    public long LastRead { get; set; } = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>True once the client's hello asked for acknowledgements.</summary>
    public bool Acknowledged { get; set; }

    /// <summary>
    /// The acknowledged client half-closed: no more reads, the connection waits for its final acknowledgement
    /// (after which the sending thread shuts our side down, and the hang-up that follows closes it).
    /// </summary>
    public bool Finishing { get; set; }

    /// <summary>Set when the connection must be closed after the current batch has been handed over.</summary>
    public bool Closing { get; set; }

    public string Id => $"epoll-{Source}";
}
