using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Horodate.Client.Load;

/// <summary>Whether a connection can be sent on.</summary>
internal enum ConnectionState
{
    /// <summary>No socket: connecting, or waiting out the backoff.</summary>
    Down,

    /// <summary>
    /// Connected in acknowledged mode, the hello sent, its answer not there yet: nothing is stamped or sent.
    /// The server opens the connection's source before it answers, so a value stamped after the answer is
    /// never below what the server already wrote, however long the connection waited in its accept queue.
    /// </summary>
    Greeting,

    /// <summary>Values go out.</summary>
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
/// that owns it sends on it (<see cref="SendNext"/>) and is the only one to take it down; what the server says
/// (<see cref="NoteAck"/>, <see cref="NotePeerClosed"/>) is noted by the owning scheduler's reads (plain sockets on
/// Linux x86-64, from the connect on), or by the connection's watcher (TLS, other systems). What the scheduler thread owns
/// (the pending tail, the unacknowledged values, the counts) is private and changes only through its methods.
/// </summary>
internal sealed partial class ClientConnection(int index, long offsetTicks, int unackedLimit, int unackedCapacity = UnackedBuffer.DefaultCapacity)
{
    private readonly Lock _transitions = new(); // the connector, the reader and the owning scheduler change the state
    private int _state; // a ConnectionState: the connector brings it up, the reader moves Greeting to Up, the scheduler takes it down
    private int _generation;
    private int _closedGeneration = -1;
    private volatile bool _wasUp;
    private bool _halfClosed;

    /// <summary>The connection's number, 0 to n-1.</summary>
    public int Index { get; } = index;

    /// <summary>When, within each interval, this connection sends (Stopwatch ticks after the period start).</summary>
    public long OffsetTicks { get; } = offsetTicks;

    public ConnectionState State => (ConnectionState)Volatile.Read(ref _state);

    /// <summary>True once the connection has been up: a send skipped before that is part of the ramp, not a loss.</summary>
    public bool WasUp => _wasUp;

    /// <summary>Called once, on the thread that brought the connection up for the first time (answered, in acknowledged mode).</summary>
    public Action? FirstUp { get; set; }

    /// <summary>Which of the client's server addresses the current socket goes to (set by the connector before <see cref="BringUp"/>).</summary>
    public int Server { get; set; }

    /// <summary>Consecutive failed connection attempts, for the backoff (connector only).</summary>
    public int Failures { get; private set; }

    /// <summary>True when the server closed the current socket (seen by its watcher, or by the owning scheduler's reads).</summary>
    public bool PeerClosed => Volatile.Read(ref _closedGeneration) == Volatile.Read(ref _generation);

    /// <summary>The current socket's generation (<see cref="BringUp"/>'s return).</summary>
    public int Generation => Volatile.Read(ref _generation);

    /// <summary>
    /// The current socket's descriptor, for the owning scheduler's reads (plain sockets on Linux; -1 otherwise, or
    /// down). Referenced until <see cref="TakeDown"/>, which only the owning scheduler does while the run lasts.
    /// </summary>
    public int Descriptor => _fd;

    /// <summary>True while socket <paramref name="generation"/> is the connection's and values go out on it.</summary>
    public bool IsUp(int generation) => State == ConnectionState.Up && Generation == generation;

    private Socket? Socket { get; set; }

    /// <summary>What <see cref="Prefetch"/> covers from the object's start: its fields take ~230 bytes.</summary>
    private const int PrefetchBytes = 256;

    // The socket's descriptor for NativeSend (plain, on Linux; -1 otherwise), and its handle, referenced from
    // BringUp to TakeDown so that the number cannot be closed and reused while the scheduler sends on it.
    private int _fd = -1;
    private SafeHandle? _fdHandle;

    /// <summary>The TLS stream over the socket, when the client speaks TLS.</summary>
    private Stream? Tls { get; set; }

    /// <summary>Instead of a socket, the simulator's (<see cref="BringUpOn"/>); null in the client.</summary>
    private IConnectionSink? _sink;

    /// <summary>
    /// Asks the CPU to bring <paramref name="connection"/>'s fields into its cache (x86: <c>prefetcht0</c> over the
    /// object; elsewhere nothing). A hint only, issued by the scheduler thread for a connection whose turn comes after
    /// the next send's system call: at thousands of connections each is touched once per interval, and its fields read
    /// cold cost a miss per line. Static, so that no null check reads the object first (that read is the miss). The
    /// address is read from the reference and used at once: if a collection moves the object meanwhile, the hint is
    /// wasted, nothing else.
    /// </summary>
    public static unsafe void Prefetch(ClientConnection connection)
    {
        if (Sse.IsSupported)
        {
            var address = (byte*)Unsafe.As<ClientConnection, nint>(ref connection);
            for (var line = 0; line < PrefetchBytes; line += 64)
            {
                Sse.Prefetch0(address + line);
            }
        }
    }

    /// <summary>
    /// As <see cref="Prefetch"/>, for what the next kept value writes: its unacknowledged buffer's slot. Called on a
    /// connection whose fields were prefetched a turn before (they are read here).
    /// </summary>
    public void PrefetchKept()
    {
        if (_holdsUnacked)
        {
            _unacked.PrefetchNext();
        }
    }

    /// <summary>Called by the connector when an attempt failed.</summary>
    public void NoteConnectFailure() => Failures++;

    /// <summary>
    /// Called by the connector: the connection is connected on <paramref name="socket"/>; once up, its
    /// unacknowledged values go out again first. With <paramref name="greeting"/> (the hello was sent) it
    /// waits in <see cref="ConnectionState.Greeting"/> until the socket's reader calls <see cref="Greeted"/>.
    /// Returns the socket's generation, which tells its close notice from a later socket's.
    /// </summary>
    public int BringUp(Socket socket, Stream? tls, bool greeting = false) => BringUpCore(socket, tls, sink: null, greeting);

    /// <summary>
    /// As <see cref="BringUp"/>, on <paramref name="sink"/> instead of a socket: the deterministic
    /// simulator's. Its owner shuts it down and tells the connection (<see cref="NotePeerClosed"/>, <see cref="TakeDown"/>);
    /// <see cref="HalfCloseAsync"/> and <see cref="Close"/> are for sockets.
    /// </summary>
    public int BringUpOn(IConnectionSink sink, bool greeting) => BringUpCore(socket: null, tls: null, sink, greeting);

    private int BringUpCore(Socket? socket, Stream? tls, IConnectionSink? sink, bool greeting)
    {
        Failures = 0;
        Socket = socket;
        Tls = tls;
        _sink = sink;
        if (socket is not null && tls is null && NativeSend.IsSupported)
        {
            var handle = socket.SafeHandle;
            var referenced = false;
            handle.DangerousAddRef(ref referenced);
            _fdHandle = handle;
            _fd = (int)handle.DangerousGetHandle();
        }

        _pendingLength = 0;
        _resendPending = _unacked.Count > 0;
        _resendIndex = 0;
        _halfClosed = false;
        int generation;
        var first = false;
        lock (_transitions)
        {
            generation = Interlocked.Increment(ref _generation);
            if (!greeting)
            {
                first = MarkUp();
            }

            Volatile.Write(ref _state, (int)(greeting ? ConnectionState.Greeting : ConnectionState.Up));
        }

        if (first)
        {
            FirstUp?.Invoke();
        }

        return generation;
    }

    /// <summary>
    /// Called by the reader of socket <paramref name="generation"/> (its scheduler thread or its watcher): the server answered the hello (or, a plain
    /// server, let it go unanswered): values may go out. Does nothing if that socket is no longer the connection's
    /// (taken down, or replaced by a newer one that waits for its own answer).
    /// </summary>
    public void Greeted(int generation)
    {
        var first = false;
        lock (_transitions)
        {
            if (_generation == generation && _state == (int)ConnectionState.Greeting)
            {
                first = MarkUp();
                Volatile.Write(ref _state, (int)ConnectionState.Up);
            }
        }

        if (first)
        {
            FirstUp?.Invoke();
        }
    }

    /// <summary>Under the transitions lock: the connection is up; true the first time.</summary>
    private bool MarkUp()
    {
        var first = !_wasUp;
        _wasUp = true;
        return first;
    }

    /// <summary>Called by the owning scheduler (or once the schedulers stopped): the connection is down; the socket is closed.</summary>
    public void TakeDown()
    {
        lock (_transitions)
        {
            Volatile.Write(ref _state, (int)ConnectionState.Down);
        }

        _pendingLength = 0;
        if (_fdHandle is { } handle)
        {
            _fd = -1;
            _fdHandle = null;
            handle.DangerousRelease();
        }

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
        if (State == ConnectionState.Down || Mode == ServerMode.Plain || _halfClosed)
        {
            return; // a connection still greeting half-closes too: the server stops waiting for it at once
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

    /// <summary>
    /// At the stop, on the owning scheduler thread, once the connection owes nothing more: a plain socket half-closes
    /// now, so that its last acknowledgement does not wait for connections still sending what they owe. A TLS one
    /// waits for <see cref="HalfCloseAsync"/> (its close_notify is asynchronous).
    /// </summary>
    public void HalfCloseOwedNothing()
    {
        if (Tls is not null || Socket is not { } socket || State == ConnectionState.Down || Mode == ServerMode.Plain || _halfClosed)
        {
            return;
        }

        try
        {
            socket.Shutdown(SocketShutdown.Send);
            _halfClosed = true;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // already gone: its unacknowledged values are counted as such
        }
    }

    /// <summary>At stop, once the schedulers stopped: closes with a FIN after the last byte. Returns true if it was up.</summary>
    public bool Close()
    {
        var state = State;
        var wasUp = state == ConnectionState.Up;
        if (state != ConnectionState.Down && !_halfClosed)
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
