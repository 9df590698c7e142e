using System.Net.Sockets;
using Horodate.Core.Protocol;
using Horodate.Server.Sessions;

namespace Horodate.Server.Transport.Epoll;

/// <summary>
/// Writes the acknowledged mode's lines to one non-blocking socket of the epoll transport: the <c>OK</c> from the
/// receive thread, the acknowledgements from the pipeline's sync thread (at a stop, from its writer thread's
/// last step). One line at a time, and a line the
/// socket took only in part is finished before any other.
/// </summary>
internal sealed class SocketAckWriter(Socket socket) : IAckChannel
{
    private readonly Lock _sendGate = new();
    private readonly byte[] _out = new byte[Math.Max(Handshake.Ok.Length, Handshake.MaxAckLineBytes)];
    private int _outStart;
    private int _outEnd;
    private long _outValue = -1;

    /// <inheritdoc />
    /// <remarks>Whole, like every line.</remarks>
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

                socket.Shutdown(SocketShutdown.Send);
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
        var sent = socket.Send(_out.AsSpan(_outStart, _outEnd - _outStart), SocketFlags.None, out _);
        _outStart += Math.Max(0, sent);
        return _outStart == _outEnd;
    }
}
