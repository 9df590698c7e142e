using System.Net.Sockets;
using Horodate.Core.Durability;
using Horodate.Core.Protocol;

namespace Horodate.Server.Transport.Epoll;

/// <summary>One connection of the epoll transport. Only the receive thread touches it once it is registered.</summary>
internal sealed class EpollConnection(Socket socket, int source, string? remote) : IAckTarget
{
    // What is written to the client (the OK, then acknowledgements), from the sync thread and the receive
    // thread: one line at a time, and a line the socket took only in part is finished before any other.
    private readonly Lock _sendGate = new();
    private readonly byte[] _out = new byte[Math.Max(Handshake.Ok.Length, Handshake.MaxAckLineBytes)];
    private int _outStart;
    private int _outEnd;
    private long _outValue = -1;

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

    /// <summary>Sends the acknowledged mode's OK (whole, like every line).</summary>
    public void SendOk()
    {
        lock (_sendGate)
        {
            Handshake.Ok.CopyTo(_out);
            (_outStart, _outEnd, _outValue) = (0, Handshake.Ok.Length, -1);
            _ = SendPending();
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Non-blocking: when the socket buffer is full (EAGAIN) or takes only part of the line, the rest is kept
    /// and sent first at the next offer, so the client never sees a torn line, and the offer reports false
    /// so that the acknowledgement is offered again.
    /// </remarks>
    public bool TryDeliver(long value)
    {
        lock (_sendGate)
        {
            try
            {
                if (_outEnd > _outStart)
                {
                    if (!SendPending())
                    {
                        return false;
                    }

                    if (_outValue >= value)
                    {
                        return true;
                    }
                }

                (_outStart, _outEnd, _outValue) = (0, Handshake.WriteAck(_out, value), value);
                return SendPending();
            }
            catch (ObjectDisposedException)
            {
                return false; // closed by the receive thread meanwhile
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Sends what is left of an earlier line, then the final line (if any), non-blocking like
    /// <see cref="TryDeliver"/>; once all of it is taken, shuts our sending side down: both sides are then
    /// shut, epoll reports the hang-up, and the receive thread closes the socket.
    /// </remarks>
    public bool TryDeliverFinal(long value)
    {
        lock (_sendGate)
        {
            try
            {
                if (_outEnd > _outStart && !SendPending())
                {
                    return false;
                }

                if (value > _outValue)
                {
                    (_outStart, _outEnd, _outValue) = (0, Handshake.WriteAck(_out, value), value);
                    if (!SendPending())
                    {
                        return false;
                    }
                }

                Socket.Shutdown(SocketShutdown.Send);
                return true;
            }
            catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
            {
                return true; // closed by the receive thread meanwhile, or reset by the client: nothing left to tell it
            }
        }
    }

    private bool SendPending()
    {
        var sent = Socket.Send(_out.AsSpan(_outStart, _outEnd - _outStart), SocketFlags.None, out _);
        _outStart += Math.Max(0, sent);
        return _outStart == _outEnd;
    }
}
