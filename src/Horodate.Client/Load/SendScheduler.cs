using System.Diagnostics;
using System.Net.Sockets;
using Horodate.Core.Diagnostics;
using Horodate.Core.Protocol;

namespace Horodate.Client.Load;

/// <summary>
/// A thread that owns a share of the connections and sends on each one at its instant within every
/// interval. Sends are synchronous on non-blocking sockets: a full socket buffer skips that one value
/// (counted), it never stalls the schedule. The schedule is anchored on the start, so a late send does
/// not shift later ones.
/// </summary>
internal sealed class SendScheduler
{
    private readonly ClientConnection[] _connections; // sorted by offset
    private long _start;
    private readonly long _intervalTicks;
    private readonly Action<ClientConnection, string> _onDown;
    private readonly Thread _thread;
    private readonly Lock _statsGate = new();
    private readonly LatencyHistogram _latenessUs = new();
    private volatile bool _stop;

    private long _sent;
    private long _skippedDown;
    private long _skippedBusy;
    private long _resent;
    private long _skippedClock;
    private readonly bool _keepUnacked;

    public SendScheduler(int id, ClientConnection[] connections, long intervalTicks, bool keepUnacked, Action<ClientConnection, string> onDown)
    {
        _connections = connections;
        _keepUnacked = keepUnacked;
        _intervalTicks = intervalTicks;
        _onDown = onDown;
        _thread = new Thread(Run) { Name = $"horodate-send-{id}", IsBackground = true, Priority = ThreadPriority.AboveNormal };
    }

    /// <summary>Where send lateness goes when something listens to the client's meter.</summary>
    public Metrics.ClientMetrics? Metrics { get; set; }

    /// <summary>Every value this thread sent.</summary>
    public SentRecord Record { get; } = new();

    /// <summary>Every value of this thread's connections that the server acknowledged.</summary>
    public SentRecord AckedRecord { get; } = new();

    public long Sent => Volatile.Read(ref _sent);

    /// <summary>Sends skipped because the connection was down after having been up (reconnecting).</summary>
    public long SkippedDown => Volatile.Read(ref _skippedDown);

    /// <summary>Sends skipped because the socket buffer was full: the server is not reading.</summary>
    public long SkippedBusy => Volatile.Read(ref _skippedBusy);

    /// <summary>Values sent again after a reconnect because they were not acknowledged.</summary>
    public long Resent => Volatile.Read(ref _resent);

    /// <summary>Sends skipped because the clock had not moved past the connection's last value.</summary>
    public long SkippedClock => Volatile.Read(ref _skippedClock);

    /// <summary>Starts sending; <paramref name="start"/> (a Stopwatch timestamp) anchors every period of the schedule.</summary>
    public void Start(long start)
    {
        _start = start;
        _thread.Start();
    }

    public void Stop()
    {
        _stop = true;
        if (_thread.IsAlive)
        {
            _thread.Join();
        }
    }

    /// <summary>Adds the lateness of every send since the start to <paramref name="into"/> (reading takes nothing away).</summary>
    public void AddLateness(LatencyHistogram into)
    {
        lock (_statsGate)
        {
            into.Add(_latenessUs);
        }
    }

    private void Run()
    {
        if (_connections.Length == 0)
        {
            return;
        }

        long period = 0;
        var next = 0;
        var ticksPerUs = Stopwatch.Frequency / 1_000_000.0;
        while (!_stop)
        {
            var due = _start + (period * _intervalTicks) + _connections[next].OffsetTicks;
            var now = Stopwatch.GetTimestamp();
            if (due > now)
            {
                SleepUntil(due, now);
                continue;
            }

            lock (_statsGate)
            {
                // Send everything due by now, in schedule order.
                do
                {
                    var connection = _connections[next];
                    if (Send(connection))
                    {
                        var lateTicks = Stopwatch.GetTimestamp() - due;
                        _latenessUs.Record((long)(lateTicks / ticksPerUs));
                        if (Metrics?.LatenessEnabled == true)
                        {
                            Metrics.RecordLateness((double)lateTicks / Stopwatch.Frequency);
                        }
                    }

                    if (++next == _connections.Length)
                    {
                        next = 0;
                        period++;
                    }

                    due = _start + (period * _intervalTicks) + _connections[next].OffsetTicks;
                }
                while (due <= now && !_stop);
            }
        }
    }

    private static void SleepUntil(long due, long now)
    {
        // Thread.Sleep(1) lasts about 1.05 ms on Linux: close enough to a 50 ms schedule, and it costs no CPU.
        var ms = (due - now) * 1000 / Stopwatch.Frequency;
        Thread.Sleep((int)Math.Clamp(ms, 1, 50));
    }

    /// <returns>True if a value was handed to the kernel.</returns>
    private bool Send(ClientConnection connection)
    {
        if (connection.State != ClientConnection.Up)
        {
            if (connection.WasUp)
            {
                _skippedDown++; // lost and not back yet; before its first connect it is still ramping
            }

            return false;
        }

        if (connection.PeerClosed)
        {
            _onDown(connection, "the server closed the connection");
            _skippedDown++;
            return false;
        }

        var keep = connection.Mode != ClientConnection.ModePlain && _keepUnacked;
        if (keep)
        {
            connection.TrimAcked();
        }
        else if (connection.Unacked.Count > 0)
        {
            connection.Unacked.Clear(); // the server turned out to be a plain one
            connection.ResendPending = false;
        }

        if ((connection.PendingLength > 0 && !FlushPending(connection)) || (connection.ResendPending && !Resend(connection)))
        {
            _skippedBusy++;
            return false;
        }

        var value = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (value <= connection.LastValue)
        {
            // Catching up on the schedule within one millisecond, or a clock that stepped back: the same (or an
            // older) time again says nothing new, and the server would take it for a resend. Values on one
            // connection strictly increase.
            _skippedClock++;
            return false;
        }

        Span<byte> line = stackalloc byte[LineFormat.MaxLineBytes];
        var length = LineFormat.Write(line, value);
        var sent = connection.Send(line[..length], out var error);
        switch (error)
        {
            case SocketError.Success:
                connection.LastValue = value;
                if (keep && connection.Unacked.Push(value))
                {
                    connection.DroppedUnacked++;
                }

                if (sent < length)
                {
                    // The kernel took part of the line: the rest goes first next time, and the value counts then.
                    line[sent..length].CopyTo(connection.Pending);
                    connection.PendingLength = length - sent;
                    connection.PendingValue = value;
                    connection.PendingIsNew = true;
                    return false;
                }

                Record.Add(value);
                _sent++;
                return true;
            case SocketError.WouldBlock:
                _skippedBusy++;
                return false;
            default:
                _onDown(connection, Describe(error));
                return false;
        }
    }

    private bool FlushPending(ClientConnection connection)
    {
        var pending = connection.Pending.AsSpan(0, connection.PendingLength);
        var sent = connection.Send(pending, out var error);
        if (error == SocketError.Success && sent == pending.Length)
        {
            connection.PendingLength = 0;
            if (connection.PendingIsNew)
            {
                Record.Add(connection.PendingValue);
                _sent++;
            }

            return true;
        }

        if (error == SocketError.Success)
        {
            pending[sent..].CopyTo(connection.Pending);
            connection.PendingLength -= sent;
        }
        else if (error != SocketError.WouldBlock)
        {
            _onDown(connection, Describe(error));
        }

        return false;
    }

    /// <summary>
    /// After a reconnect, sends the unacknowledged values again, oldest first, before any new one. Resent
    /// values are not recorded again: the record lists what was sent, once.
    /// </summary>
    /// <returns>True when everything was resent; false if the socket is full (the rest goes next time) or broke.</returns>
    private bool Resend(ClientConnection connection)
    {
        Span<byte> line = stackalloc byte[LineFormat.MaxLineBytes];
        var unacked = connection.Unacked;
        while (connection.ResendIndex < unacked.Count)
        {
            var value = unacked[connection.ResendIndex];
            var length = LineFormat.Write(line, value);
            var sent = connection.Send(line[..length], out var error);
            if (error == SocketError.WouldBlock)
            {
                return false;
            }

            if (error != SocketError.Success)
            {
                _onDown(connection, Describe(error));
                return false;
            }

            connection.ResendIndex++;
            _resent++;
            if (sent < length)
            {
                line[sent..length].CopyTo(connection.Pending);
                connection.PendingLength = length - sent;
                connection.PendingIsNew = false;
                return false;
            }
        }

        connection.ResendPending = false;
        return true;
    }

    internal static string Describe(SocketError error) => error switch
    {
        SocketError.ConnectionReset => "the server reset the connection",
        SocketError.Shutdown or SocketError.ConnectionAborted => "the connection was closed",
        SocketError.ConnectionRefused => "connection refused (is the server running?)",
        SocketError.TimedOut => "timed out",
        SocketError.HostUnreachable or SocketError.NetworkUnreachable => "the server is unreachable",
        _ => error.ToString(),
    };
}
