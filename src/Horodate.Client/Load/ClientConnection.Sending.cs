using System.Net.Sockets;
using Horodate.Core.Protocol;

namespace Horodate.Client.Load;

/// <summary>What became of a connection's turn in the schedule.</summary>
internal enum SendResult
{
    /// <summary>A new value's whole line went to the kernel.</summary>
    Sent,

    /// <summary>Nothing new went out this turn (full socket, part of a line, clock not moved); counted why.</summary>
    NotSent,

    /// <summary>The connection broke (<see cref="ClientConnection.Error"/> says how): take it down.</summary>
    Broken,
}

/// <summary>The scheduler thread's side: one turn of the schedule, what is left of a line, and resends.</summary>
internal sealed partial class ClientConnection
{
    // The unsent tail of a line the kernel took only part of, and the value it belongs to.
    private readonly byte[] _pending = new byte[LineFormat.MaxLineBytes];
    private int _pendingLength;
    private long _pendingValue;
    private bool _pendingIsNew; // false when the tail belongs to a resent value, which is not recorded again
    private bool _resendPending; // set when the connection comes back up: the unacknowledged values go out again first
    private int _resendIndex;
    private long _lastValue; // values on one connection never decrease, even if the clock steps back

    /// <summary>Why the last turn broke the connection.</summary>
    public SocketError Error { get; private set; }

    /// <summary>
    /// The connection's turn (owning scheduler thread, connection up): the rest of a partly sent line first,
    /// then the unacknowledged values after a reconnect, then <paramref name="value"/>. Counts into
    /// <paramref name="tally"/>; keeps what it sends for a resend when <paramref name="acknowledged"/>.
    /// </summary>
    public SendResult SendNext(long value, bool acknowledged, SendTally tally)
    {
        var keep = KeepUnacked(acknowledged);
        var behind = _pendingLength > 0 ? FlushPending(tally) : SendResult.Sent;
        if (behind == SendResult.Sent && _resendPending)
        {
            behind = Resend(tally);
        }

        if (behind != SendResult.Sent)
        {
            tally.CountSkippedBusy();
            return behind;
        }

        if (value <= _lastValue)
        {
            // Catching up on the schedule within one millisecond, or a clock that stepped back: the same (or an
            // older) time again says nothing new, and the server would take it for a resend. Values on one
            // connection strictly increase.
            tally.CountSkippedClock();
            return SendResult.NotSent;
        }

        Span<byte> line = stackalloc byte[LineFormat.MaxLineBytes];
        var length = LineFormat.Write(line, value);
        var sent = Write(line[..length], out var error);
        switch (error)
        {
            case SocketError.Success:
                _lastValue = value;
                if (keep)
                {
                    Keep(value);
                }

                if (sent < length)
                {
                    // The kernel took part of the line: the rest goes first next time, and the value counts then.
                    KeepTail(line[sent..length], value, isNew: true);
                    return SendResult.NotSent;
                }

                tally.CountSent(value);
                return SendResult.Sent;
            case SocketError.WouldBlock:
                tally.CountSkippedBusy();
                return SendResult.NotSent;
            default:
                return Broke(error);
        }
    }

    /// <summary>
    /// The last turn, at the stop before the half-close (owning scheduler thread, connection up): what is owed from
    /// before, and nothing new: the rest of a partly sent line, then the unacknowledged values a reconnect left to
    /// resend. <see cref="SendResult.Sent"/> once nothing is owed.
    /// </summary>
    public SendResult SendOwed(bool acknowledged, SendTally tally)
    {
        _ = KeepUnacked(acknowledged); // forgets what was acknowledged meanwhile, or everything for a plain server
        var behind = _pendingLength > 0 ? FlushPending(tally) : SendResult.Sent;
        return behind == SendResult.Sent && _resendPending ? Resend(tally) : behind;
    }

    /// <returns><see cref="SendResult.Sent"/> once the whole tail went out.</returns>
    private SendResult FlushPending(SendTally tally)
    {
        var pending = _pending.AsSpan(0, _pendingLength);
        var sent = Write(pending, out var error);
        if (error == SocketError.Success && sent == pending.Length)
        {
            _pendingLength = 0;
            if (_pendingIsNew)
            {
                tally.CountSent(_pendingValue);
            }

            return SendResult.Sent;
        }

        if (error == SocketError.Success)
        {
            pending[sent..].CopyTo(_pending);
            _pendingLength -= sent;
        }
        else if (error != SocketError.WouldBlock)
        {
            return Broke(error);
        }

        return SendResult.NotSent;
    }

    /// <summary>
    /// After a reconnect, sends the unacknowledged values again, oldest first, before any new one. Resent
    /// values are not recorded again: the record lists what was sent, once.
    /// </summary>
    /// <returns><see cref="SendResult.Sent"/> when everything was resent; otherwise the socket is full (the rest goes next time) or broke.</returns>
    private SendResult Resend(SendTally tally)
    {
        Span<byte> line = stackalloc byte[LineFormat.MaxLineBytes];
        while (_resendIndex < _unacked.Count)
        {
            var resent = _unacked[_resendIndex];
            var length = LineFormat.Write(line, resent);
            var sent = Write(line[..length], out var error);
            if (error == SocketError.WouldBlock)
            {
                return SendResult.NotSent;
            }

            if (error != SocketError.Success)
            {
                return Broke(error);
            }

            _resendIndex++;
            tally.CountResent();
            if (sent < length)
            {
                KeepTail(line[sent..length], resent, isNew: false);
                return SendResult.NotSent;
            }
        }

        _resendPending = false;
        return SendResult.Sent;
    }

    private void KeepTail(ReadOnlySpan<byte> tail, long value, bool isNew)
    {
        tail.CopyTo(_pending);
        _pendingLength = tail.Length;
        _pendingValue = value;
        _pendingIsNew = isNew;
    }

    private SendResult Broke(SocketError error)
    {
        Error = error;
        return SendResult.Broken;
    }

    /// <summary>
    /// Writes what it can of <paramref name="data"/> without blocking (plain), or all of it with a bounded
    /// blocking write (TLS, where a record cannot be split). Returns the bytes taken.
    /// </summary>
    private int Write(ReadOnlySpan<byte> data, out SocketError error)
    {
        if (_fd >= 0)
        {
            return NativeSend.Send(_fd, data, out error);
        }

        if (_sink is not null)
        {
            return _sink.Send(data, out error); // the simulator's socket (never in the client)
        }

        if (Tls is null)
        {
            return Socket!.Send(data, SocketFlags.None, out error);
        }

        try
        {
            Tls.Write(data);
            error = SocketError.Success;
            return data.Length;
        }
        catch (IOException ex)
        {
            error = ex.InnerException is SocketException se ? se.SocketErrorCode : SocketError.ConnectionAborted;
            if (error is SocketError.WouldBlock or SocketError.Success)
            {
                error = SocketError.TimedOut; // a half-written record: the stream is unusable, reconnect
            }

            return 0;
        }
        catch (ObjectDisposedException)
        {
            error = SocketError.Shutdown;
            return 0;
        }
    }
}
