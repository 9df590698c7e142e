using System.Diagnostics;
using System.Net.Sockets;
using Horodate.Core.Diagnostics;

namespace Horodate.Client.Load;

/// <summary>
/// A thread that owns a share of the connections and sends on each one at its instant within every
/// interval. Sends are synchronous on non-blocking sockets: a full socket buffer skips that one value
/// (counted), it never stalls the schedule. The schedule is anchored on the start, so a late send does
/// not shift later ones. Between sends it reads what the server sends its plain sockets
/// (<see cref="TryHandOver"/>). It stops in two phases: <see cref="StopSending"/>, then, once the last
/// acknowledgements came, <see cref="Stop"/>.
/// </summary>
internal sealed partial class SendScheduler
{
    private readonly ClientConnection[] _connections; // sorted by offset
    private readonly long[] _offsets; // their offsets, in the same order: the schedule reads them without touching a connection
    private long _start;
    private readonly long _intervalTicks;
    private readonly Action<ClientConnection, string> _onDown;
    private readonly Thread _thread;
    private readonly Lock _statsGate = new();
    private readonly LatencyHistogram _latenessUs = new();
    private volatile bool _stopSending;
    private long _owedUntil; // written before _stopSending, read after it
    private volatile bool _stop;
    private readonly TaskCompletionSource _sendingStopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly bool _keepUnacked;

    /// <param name="id">The thread's number, for its name.</param>
    /// <param name="connections">The connections it sends on, sorted by offset.</param>
    /// <param name="all">Every connection of the client, by index: where a ready socket's connection is found.</param>
    /// <param name="intervalTicks">The schedule's period, in Stopwatch ticks.</param>
    /// <param name="keepUnacked">Acknowledged mode: keep what is sent until it is acknowledged.</param>
    /// <param name="onDown">Takes a broken connection down (on this thread).</param>
    public SendScheduler(int id, ClientConnection[] connections, ClientConnection[] all, long intervalTicks, bool keepUnacked, Action<ClientConnection, string> onDown)
    {
        _connections = connections;
        _offsets = Array.ConvertAll(connections, c => c.OffsetTicks);
        _all = all;
        _keepUnacked = keepUnacked;
        _intervalTicks = intervalTicks;
        _onDown = onDown;
        _thread = new Thread(Run) { Name = $"horodate-send-{id}", IsBackground = true, Priority = ThreadPriority.AboveNormal };
    }

    /// <summary>Where send lateness goes when something listens to the client's meter.</summary>
    public Metrics.ClientMetrics? Metrics { get; set; }

    /// <summary>What this thread's connections sent and skipped, and every value they sent.</summary>
    public SendTally Tally { get; } = new();

    /// <summary>Every value of this thread's connections that the server acknowledged.</summary>
    public SentRecord AckedRecord { get; } = new();

    /// <summary>Starts sending; <paramref name="start"/> (a Stopwatch timestamp) anchors every period of the schedule.</summary>
    public void Start(long start)
    {
        _start = start;
        if (_connections.Length > 0)
        {
            OpenReads();
        }

        _thread.Start();
    }

    /// <summary>
    /// The stop's first phase: returns once the thread sends no more: nothing new from now on, and what its connections
    /// owe (a line's rest, resends) goes out until all of it did or <paramref name="owedUntil"/> (a Stopwatch timestamp;
    /// 0: one turn) passed. It goes on reading what the server sends (the last acknowledgements, after the half-close)
    /// until <see cref="Stop"/>.
    /// </summary>
    public void StopSending(long owedUntil = 0)
    {
        _owedUntil = owedUntil;
        _stopSending = true;
        if (_thread.IsAlive)
        {
            _sendingStopped.Task.Wait();
        }
    }

    /// <summary>The stop's second phase (the first too, if not done): the thread ends, and reads no more.</summary>
    public void Stop()
    {
        StopSending();
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
            _sendingStopped.TrySetResult();
            return;
        }

        try
        {
            RunSchedule();
            while (SendOwed() && Stopwatch.GetTimestamp() < _owedUntil && !_stop)
            {
                Read(1); // what the server sends meanwhile: its acknowledgements trim what is owed
            }

            _sendingStopped.TrySetResult();

            // The stop's second phase: only reads, until the last acknowledgements came (or were given up on).
            while (!_stop)
            {
                Read(StoppingReadMs);
            }
        }
        finally
        {
            _sendingStopped.TrySetResult();
            CloseReads();
        }
    }

    private void RunSchedule()
    {
        long period = 0;
        var next = 0;
        var ticksPerUs = Stopwatch.Frequency / 1_000_000.0;
        while (!_stopSending)
        {
            var due = _start + (period * _intervalTicks) + _offsets[next];
            var now = Stopwatch.GetTimestamp();
            if (due > now)
            {
                WaitUntil(due, now);
                continue;
            }

            lock (_statsGate)
            {
                // Send everything due by now, in schedule order.
                do
                {
                    var connection = _connections[next];

                    // What the next turns touch comes into the cache during this send's system call (read after it,
                    // each line was a cache miss per value, a connection being touched once per interval): the fields
                    // of the connection after next, the buffer slot of the next one (its fields came a turn ago).
                    var ahead = After(next);
                    ClientConnection.Prefetch(_connections[After(ahead)]);
                    _connections[ahead].PrefetchKept();
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

                    due = _start + (period * _intervalTicks) + _offsets[next];
                }
                while (due <= now && !_stopSending);
            }

            ReadIfOverdue(now);
        }
    }

    /// <summary>The connection whose turn comes after <paramref name="index"/>'s, in the order of the schedule.</summary>
    private int After(int index) => index + 1 == _connections.Length ? 0 : index + 1;

    /// <summary>
    /// At the stop, before the half-close: every connection up sends what it owes (a line's rest, the values a
    /// reconnect left to resend), so that the stream the half-close ends holds everything the client waits to have
    /// acknowledged. A connection still waiting for its hello's answer sends them too, after its hello: a server in
    /// acknowledged mode takes the hello first, and a plain one stores them unacknowledged, as the client then counts
    /// them. Without it, a connection back just before the stop, its turn not yet come (or its hello unanswered),
    /// half-closed with its resends unsent: never acknowledged, and lost (the restart test under load). A full socket
    /// takes part of it: the stop calls this again (<see cref="StopSending"/>) until all is out or its time is up; a
    /// single turn half-closed a connection whose backlog outgrew its socket buffer with the rest unsent (the
    /// simulator's finished clients, which send what they owe turn after turn, did not see it). A connection that owes
    /// nothing more half-closes at once (plain sockets; TLS ones in <c>LoadClient.FinishSendingAsync</c>).
    /// </summary>
    /// <returns>True while some connection still owes something.</returns>
    private bool SendOwed()
    {
        var owing = false;
        lock (_statsGate)
        {
            foreach (var connection in _connections)
            {
                if ((connection.State is not (ConnectionState.Up or ConnectionState.Greeting)) || connection.PeerClosed)
                {
                    continue;
                }

                switch (connection.SendOwed(_keepUnacked, Tally))
                {
                    case SendResult.Broken:
                        Unwatch(connection);
                        _onDown(connection, Describe(connection.Error));
                        break;
                    case SendResult.NotSent:
                        owing = true;
                        break;
                    case SendResult.Sent when _keepUnacked:
                        connection.HalfCloseOwedNothing(); // all out: its final acknowledgement need not wait for the others
                        break;
                }
            }
        }

        return owing;
    }

    private void WaitUntil(long due, long now)
    {
        // A wait of 1 ms lasts about 1.05 ms on Linux: close enough to a 50 ms schedule, and it costs no CPU. The
        // thread waits in its epoll set: what the server sends is read meanwhile.
        Read((int)Math.Clamp((due - now) * 1000 / Stopwatch.Frequency, 1, 50));
    }

    /// <returns>True if a new value was handed to the kernel.</returns>
    private bool Send(ClientConnection connection)
    {
        var state = connection.State;
        if (state != ConnectionState.Down && connection.PeerClosed)
        {
            Unwatch(connection);
            _onDown(connection, "the server closed the connection");
            Tally.CountSkippedDown();
            return false;
        }

        if (state != ConnectionState.Up)
        {
            if (connection.WasUp)
            {
                Tally.CountSkippedDown(); // lost and not back yet; before it is first up it is still ramping
            }

            return false;
        }

        var result = connection.SendNext(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), _keepUnacked, Tally);
        if (result == SendResult.Broken)
        {
            Unwatch(connection);
            _onDown(connection, Describe(connection.Error));
        }

        return result == SendResult.Sent;
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
