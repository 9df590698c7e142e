using System.Net.Security;
using System.Net.Sockets;

namespace Horodate.Client.Load;

/// <summary>Whether a connection can be sent on.</summary>
internal enum ConnectionState
{
    Down,
    Up,
}

/// <summary>What the server answered to the connection's hello.</summary>
internal enum ServerMode
{
    /// <summary>Not settled yet: values are kept, as if acknowledgements were on.</summary>
    Unknown,

    /// <summary>The server answered the hello: it acknowledges what it stored.</summary>
    Acknowledged,

    /// <summary>The server did not answer the hello: no acknowledgements will come.</summary>
    Plain,
}

/// <summary>
/// One of the client's connections. The connector brings it up (<see cref="BringUp"/>); the scheduler thread
/// that owns it sends on it (<see cref="SendNext"/>) and is the only one to take it down; the watcher notes
/// what the server says (<see cref="NoteAck"/>, <see cref="NotePeerClosed"/>). What the scheduler thread owns
/// (the pending tail, the unacknowledged values, the counts) is private and changes only through its methods.
/// </summary>
internal sealed partial class ClientConnection(int index, long offsetTicks, int unackedLimit)
{
    private volatile ConnectionState _state;
    private int _generation;
    private int _closedGeneration = -1;
    private bool _halfClosed;

    /// <summary>The connection's number, 0 to n-1.</summary>
    public int Index { get; } = index;

    /// <summary>When, within each interval, this connection sends (Stopwatch ticks after the period start).</summary>
    public long OffsetTicks { get; } = offsetTicks;

    public ConnectionState State => _state;

    /// <summary>True once the connection has been up: a send skipped before that is part of the ramp, not a loss.</summary>
    public bool WasUp { get; private set; }

    /// <summary>Consecutive failed connection attempts, for the backoff (connector only).</summary>
    public int Failures { get; private set; }

    /// <summary>True when the server closed the current socket (seen by the watcher).</summary>
    public bool PeerClosed => Volatile.Read(ref _closedGeneration) == Volatile.Read(ref _generation);

    private Socket? Socket { get; set; }

    /// <summary>The TLS stream over the socket, when the client speaks TLS.</summary>
    private Stream? Tls { get; set; }

    /// <summary>Called by the connector when an attempt failed.</summary>
    public void NoteConnectFailure() => Failures++;

    /// <summary>
    /// Called by the connector: the connection is up on <paramref name="socket"/>; its unacknowledged values go
    /// out again first. Returns the socket's generation, which tells its close notice from a later socket's.
    /// </summary>
    public int BringUp(Socket socket, Stream? tls)
    {
        Failures = 0;
        Socket = socket;
        Tls = tls;
        _pendingLength = 0;
        _resendPending = _unacked.Count > 0;
        _resendIndex = 0;
        WasUp = true;
        var generation = Interlocked.Increment(ref _generation);
        _state = ConnectionState.Up;
        return generation;
    }

    /// <summary>Called by the owning scheduler (or once the schedulers stopped): the connection is down; the socket is closed.</summary>
    public void TakeDown()
    {
        _state = ConnectionState.Down;
        _pendingLength = 0;
        Tls?.Dispose();
        Socket?.Dispose();
    }

    /// <summary>Called by the watcher: the server closed socket <paramref name="generation"/>.</summary>
    public void NotePeerClosed(int generation) => Volatile.Write(ref _closedGeneration, generation);

    /// <summary>
    /// Once the schedulers stopped, in acknowledged mode: shuts down the sending side (TLS: its close_notify
    /// first), which tells the server nothing more will come. A connection already gone is left as it is.
    /// </summary>
    public async Task HalfCloseAsync()
    {
        if (_state != ConnectionState.Up || Mode == ServerMode.Plain)
        {
            return;
        }

        try
        {
            if (Tls is SslStream tls)
            {
                await tls.ShutdownAsync().ConfigureAwait(false);
            }

            Socket!.Shutdown(SocketShutdown.Send);
            _halfClosed = true;
        }
        catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // already gone: its unacknowledged values are counted as such
        }
    }

    /// <summary>At stop, once the schedulers stopped: closes with a FIN after the last byte. Returns true if it was up.</summary>
    public bool Close()
    {
        var wasUp = _state == ConnectionState.Up;
        if (wasUp && !_halfClosed)
        {
            try
            {
                Tls?.Flush();
                Socket!.Shutdown(SocketShutdown.Send);
            }
            catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException)
            {
                // already gone
            }
        }

        TakeDown();
        return wasUp;
    }
}
