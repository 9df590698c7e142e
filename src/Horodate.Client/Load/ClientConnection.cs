using System.Net.Sockets;

namespace Horodate.Client.Load;

/// <summary>
/// One of the client's connections. The scheduler thread that owns it sends on it and is the only one to
/// take it down; the connector is the only one to bring it up. <see cref="Generation"/> tells a stale
/// close notice (from a previous socket) from a live one.
/// </summary>
internal sealed class ClientConnection(int index, long offsetTicks, int unackedLimit)
{
    public const int Down = 0;
    public const int Up = 1;

    /// <summary>Acknowledged mode not settled yet: values are kept, as if it were on.</summary>
    public const int ModeUnknown = 0;
    public const int ModeAck = 1;
    public const int ModePlain = 2;

    private int _mode;
    private long _ackedThrough = -1;

    /// <summary>The connection's number, 0 to n-1.</summary>
    public int Index { get; } = index;

    /// <summary>When, within each interval, this connection sends (Stopwatch ticks after the period start).</summary>
    public long OffsetTicks { get; } = offsetTicks;

    private volatile int _state;
    private int _generation;
    private int _closedGeneration = -1;

    public Socket? Socket { get; private set; }

    /// <summary>The TLS stream over <see cref="Socket"/>, when the client speaks TLS.</summary>
    public Stream? Tls { get; private set; }

    public int State => _state;

    /// <summary>True once the connection has been up: a send skipped before that is part of the ramp, not a loss.</summary>
    public bool WasUp { get; private set; }

    public int Generation => Volatile.Read(ref _generation);

    /// <summary>The last value sent: values on one connection never decrease, even if the clock steps back.</summary>
    public long LastValue { get; set; }

    /// <summary>Consecutive failed connection attempts, for the backoff.</summary>
    public int Failures { get; set; }

    /// <summary>The unsent tail of a line the kernel took only part of, and the value it belongs to.</summary>
    public byte[] Pending { get; } = new byte[Horodate.Core.Protocol.LineFormat.MaxLineBytes];

    public int PendingLength { get; set; }

    public long PendingValue { get; set; }

    /// <summary>False when the pending tail belongs to a resent value, which is not recorded again.</summary>
    public bool PendingIsNew { get; set; }

    /// <summary>Sent and not yet acknowledged (scheduler thread only).</summary>
    public UnackedBuffer Unacked { get; } = new(unackedLimit);

    /// <summary>Set when the connection comes back up: the unacknowledged values go out again first.</summary>
    public bool ResendPending { get; set; }

    /// <summary>How far the resend has got.</summary>
    public int ResendIndex { get; set; }

    /// <summary>Values acknowledged so far on this connection (counted when trimmed).</summary>
    public long Acked { get; set; }

    /// <summary>Values dropped from <see cref="Unacked"/> because it was full.</summary>
    public long DroppedUnacked { get; set; }

    public int Mode => Volatile.Read(ref _mode);

    /// <summary>The server's latest acknowledgement: every value ≤ it is durably stored.</summary>
    public long AckedThrough => Volatile.Read(ref _ackedThrough);

    /// <summary>The server answered the hello.</summary>
    public void NoteAckMode() => Interlocked.CompareExchange(ref _mode, ModeAck, ModeUnknown);

    /// <summary>The server did not answer the hello: no acknowledgements will come.</summary>
    public bool NotePlainMode() => Interlocked.CompareExchange(ref _mode, ModePlain, ModeUnknown) == ModeUnknown;

    /// <summary>Called by the watcher for each <c>ACK v</c>.</summary>
    public void NoteAck(long value)
    {
        long seen;
        while ((seen = Volatile.Read(ref _ackedThrough)) < value && Interlocked.CompareExchange(ref _ackedThrough, value, seen) != seen)
        {
        }
    }

    /// <summary>Forgets the acknowledged values (scheduler thread, or after the schedulers stopped).</summary>
    public void TrimAcked() => Acked += Unacked.TrimThrough(AckedThrough, AckedRecord);

    /// <summary>Where acknowledged values are listed (<c>--record-acked</c>): the owning scheduler's record, or none.</summary>
    public SentRecord? AckedRecord { get; set; }

    /// <summary>True when the server closed the current socket (seen by the watcher).</summary>
    public bool PeerClosed => Volatile.Read(ref _closedGeneration) == Volatile.Read(ref _generation);

    /// <summary>Called by the connector: the connection is up on <paramref name="socket"/>.</summary>
    public int BringUp(Socket socket, Stream? tls)
    {
        Socket = socket;
        Tls = tls;
        PendingLength = 0;
        ResendPending = Unacked.Count > 0;
        ResendIndex = 0;
        WasUp = true;
        var generation = Interlocked.Increment(ref _generation);
        _state = Up;
        return generation;
    }

    /// <summary>True once the client, done sending, shut down its sending side (acknowledged mode, at stop).</summary>
    public bool HalfClosed { get; set; }

    /// <summary>Called by the owning scheduler: the connection is down; the socket is closed.</summary>
    public void TakeDown()
    {
        _state = Down;
        PendingLength = 0;
        Tls?.Dispose();
        Socket?.Dispose();
    }

    /// <summary>
    /// Sends what it can of <paramref name="data"/> without blocking (plain), or all of it with a bounded
    /// blocking write (TLS, where a record cannot be split). Returns the bytes taken.
    /// </summary>
    public int Send(ReadOnlySpan<byte> data, out SocketError error)
    {
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

    /// <summary>Called by the watcher: the server closed socket <paramref name="generation"/>.</summary>
    public void NotePeerClosed(int generation) => Volatile.Write(ref _closedGeneration, generation);
}
