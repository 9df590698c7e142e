using Horodate.Core.Protocol;
using Horodate.Native;
using Horodate.Server.Sessions;

namespace Horodate.Server.Transport.Epoll;

/// <summary>
/// Writes the acknowledged mode's lines to one non-blocking socket of the epoll transport: the <c>OK</c> from the
/// receive thread, the acknowledgements from the pipeline's sync thread (at a stop, from its writer thread's
/// last step). One line at a time, and a line the
/// socket took only in part is finished before any other.
/// </summary>
/// <remarks>
/// It owns the connection's descriptor <paramref name="fd"/> (raw, as <c>accept4</c> gave it: no runtime socket per
/// connection) and closes it in <see cref="Close"/>, under the same lock as the sends: a send from the sync thread
/// can never reach a descriptor number that was closed and reused by a newer connection.
/// </remarks>
internal sealed class SocketAckWriter(int fd) : IAckChannel
{
    private readonly Lock _sendGate = new();
    private bool _closed;
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
            if (_closed)
            {
                return;
            }

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
            if (_closed)
            {
                return false; // closed by the receive thread meanwhile
            }

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
            if (_closed)
            {
                return true; // closed by the receive thread meanwhile: nothing left to tell the client
            }

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

            _ = Interop.Shutdown(fd, Interop.ShutWr); // a client that reset the connection: nothing left to tell it either
            return true;
        }
    }

    /// <summary>Closes the descriptor (once); every later offer is refused (final ones report done).</summary>
    public void Close()
    {
        lock (_sendGate)
        {
            if (!_closed)
            {
                _closed = true;
                _ = Native.LinuxEpoll.Close(fd); // closing the descriptor also takes it out of the epoll set
            }
        }
    }

    /// <summary>
    /// Sends what the socket takes of the pending line. A full socket buffer (EAGAIN) or a failed connection sends
    /// nothing: the line stays pending, and the connection's hang-up or read timeout ends it.
    /// </summary>
    private unsafe bool SendPending()
    {
        nint sent;
        fixed (byte* line = _out)
        {
            sent = LinuxEpoll.Send(fd, line + _outStart, _outEnd - _outStart, LinuxEpoll.MsgDontWait | LinuxEpoll.MsgNoSignal);
        }

        _outStart += (int)Math.Max(0, sent);
        return _outStart == _outEnd;
    }
}
