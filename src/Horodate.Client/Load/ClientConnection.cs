using System.Net.Sockets;

namespace Horodate.Client.Load;

/// <summary>
/// One of the client's connections. The scheduler thread that owns it sends on it and is the only one to
/// take it down; the connector is the only one to bring it up. <see cref="Generation"/> tells a stale
/// close notice (from a previous socket) from a live one.
/// </summary>
internal sealed class ClientConnection(int index, long offsetTicks)
{
    public const int Down = 0;
    public const int Up = 1;

    /// <summary>The connection's number, 0 to n-1.</summary>
    public int Index { get; } = index;

    /// <summary>When, within each interval, this connection sends (Stopwatch ticks after the period start).</summary>
    public long OffsetTicks { get; } = offsetTicks;

    private volatile int _state;
    private int _generation;
    private int _closedGeneration = -1;

    public Socket? Socket { get; private set; }

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

    /// <summary>True when the server closed the current socket (seen by the watcher).</summary>
    public bool PeerClosed => Volatile.Read(ref _closedGeneration) == Volatile.Read(ref _generation);

    /// <summary>Called by the connector: the connection is up on <paramref name="socket"/>.</summary>
    public int BringUp(Socket socket)
    {
        Socket = socket;
        PendingLength = 0;
        WasUp = true;
        var generation = Interlocked.Increment(ref _generation);
        _state = Up;
        return generation;
    }

    /// <summary>Called by the owning scheduler: the connection is down; the socket is closed.</summary>
    public void TakeDown()
    {
        _state = Down;
        PendingLength = 0;
        Socket?.Dispose();
    }

    /// <summary>Called by the watcher: the server closed socket <paramref name="generation"/>.</summary>
    public void NotePeerClosed(int generation) => Volatile.Write(ref _closedGeneration, generation);
}
