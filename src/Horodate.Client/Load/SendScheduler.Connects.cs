using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;

namespace Horodate.Client.Load;

/// <summary>
/// A connect under way on a non-blocking plain socket (<see cref="NativeConnect"/>), watched by the scheduler thread
/// that owns its connection until the socket becomes writable or its <see cref="Deadline"/> passes. The connector
/// awaits <see cref="Outcome"/>; if the client stops first it abandons the attempt, and the thread closes the socket
/// (only the thread touches the descriptor while it is in its epoll set: a socket closed under it could see its
/// number reused by another connection's).
/// </summary>
internal sealed class PendingConnect(ClientConnection connection, Socket socket, long deadline)
{
    private const int Waiting = 0;
    private const int Settled = 1;
    private const int Abandoned = 2;

    private readonly TaskCompletionSource<SocketError> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _state;

    public ClientConnection Connection { get; } = connection;

    public Socket Socket { get; } = socket;

    public int Fd { get; } = (int)socket.SafeHandle.DangerousGetHandle();

    /// <summary>When (a Stopwatch timestamp) the attempt counts as timed out.</summary>
    public long Deadline { get; } = deadline;

    /// <summary>How the connect ended (set by the scheduler thread; continuations run on the thread pool).</summary>
    public Task<SocketError> Outcome => _outcome.Task;

    public bool IsAbandoned => Volatile.Read(ref _state) == Abandoned;

    /// <summary>Scheduler thread: the connect ended. False if the connector had abandoned it: the caller closes the socket.</summary>
    public bool TrySettle(SocketError outcome)
    {
        if (Interlocked.CompareExchange(ref _state, Settled, Waiting) != Waiting)
        {
            return false;
        }

        _outcome.SetResult(outcome);
        return true;
    }

    /// <summary>Connector, when the client stops: true if the scheduler thread had not settled it (it closes the socket).</summary>
    public bool TryAbandon() => Interlocked.CompareExchange(ref _state, Abandoned, Waiting) == Waiting;
}

/// <summary>The thread's connects: plain sockets on Linux complete in its epoll set, where their hellos are then read.</summary>
internal sealed partial class SendScheduler
{
    /// <summary>
    /// The low word of a connect's epoll data (the high word is the connection's index): a socket generation never
    /// has its top bit set (it counts a connection's sockets from 1), so it tells a connect from a read.
    /// </summary>
    private const uint ConnectTag = 1u << 31;

    private readonly ConcurrentQueue<PendingConnect> _connectsHandedOver = new();
    private Dictionary<int, PendingConnect>? _connects; // watched for writability, by connection index
    private Queue<PendingConnect>? _connectDeadlines;   // in the order watched: deadlines of a constant timeout, nearly sorted

    /// <summary>
    /// Called by a connector: this thread watches <paramref name="attempt"/>'s socket until its connect ends, and
    /// settles it. False where the thread does not read (not Linux on x86-64, or ended): the connector connects otherwise.
    /// </summary>
    public bool TryWatchConnect(PendingConnect attempt)
    {
        if (Volatile.Read(ref _epoll) < 0)
        {
            return false;
        }

        _connectsHandedOver.Enqueue(attempt);
        return true;
    }

    /// <summary>Takes the connects handed over, and times out those past their deadline.</summary>
    private void TakeConnects(long now)
    {
        while (_connectsHandedOver.TryDequeue(out var attempt))
        {
            WatchConnect(attempt);
        }

        while (_connectDeadlines is { Count: > 0 } deadlines && deadlines.Peek().Deadline <= now)
        {
            var attempt = deadlines.Dequeue();
            if (_connects!.TryGetValue(attempt.Connection.Index, out var watched) && watched == attempt)
            {
                _connects.Remove(attempt.Connection.Index);
                Settle(attempt, SocketError.TimedOut);
            }
        }
    }

    private void WatchConnect(PendingConnect attempt)
    {
        if (attempt.IsAbandoned)
        {
            attempt.Socket.Dispose();
            return;
        }

        var index = attempt.Connection.Index;
        if (!NativeEpoll.AddConnect(_epoll, attempt.Fd, (ulong)(uint)index << 32 | ConnectTag))
        {
            Settle(attempt, SocketError.SocketError);
            return;
        }

        if ((_connects ??= []).Remove(index, out var older))
        {
            Settle(older, SocketError.OperationAborted); // abandoned at a stop, and not seen since
        }

        _connects[index] = attempt;
        (_connectDeadlines ??= new()).Enqueue(attempt);
    }

    /// <summary>Connection <paramref name="index"/>'s socket became writable, or failed: its connect ended.</summary>
    private void ConnectReady(int index)
    {
        if (_connects is not null && _connects.Remove(index, out var attempt))
        {
            Settle(attempt, NativeConnect.Outcome(attempt.Fd));
        }
    }

    private void Settle(PendingConnect attempt, SocketError outcome)
    {
        NativeEpoll.Remove(_epoll, attempt.Fd);
        if (!attempt.TrySettle(outcome))
        {
            attempt.Socket.Dispose(); // abandoned: nobody else closes it
        }
    }

    /// <summary>When the thread ends: every connect still watched (or handed over) ends as aborted.</summary>
    private void AbortConnects()
    {
        TakeConnects(Stopwatch.GetTimestamp());
        foreach (var attempt in _connects?.Values ?? Enumerable.Empty<PendingConnect>())
        {
            Settle(attempt, SocketError.OperationAborted);
        }

        _connects?.Clear();
        _connectDeadlines?.Clear();
    }
}
