using System.Net;
using System.Net.Sockets;
using Horodate.Native;
using Horodate.Server.Status;
using Horodate.Server.Hosting;
using Horodate.Server.Pipeline;
using Horodate.Server.Sessions;
using Microsoft.Extensions.Logging;

namespace Horodate.Server.Transport.Epoll;

/// <summary>
/// The lean transport, shaped like the C reference server: accepting threads register each connection in one
/// epoll set; a single receive thread waits on it, reads each ready socket once into a shared scratch
/// buffer, has each connection's <see cref="Sessions.ProtocolSession"/> decode the lines, and hands the values
/// of one wake-up to the pipeline under one lock (up to 64 Ki values per hand-over, <c>BatchValues</c>).
/// </summary>
/// <remarks>
/// Compared with Kestrel's path (a socket completion, thread-pool hops, a pipe flush and a continuation
/// per message), a message costs one <c>recv</c> and a share of one <c>epoll_wait</c>. Level-triggered:
/// a socket with more data than one read takes is reported again by the next wait.
/// </remarks>
internal sealed partial class EpollTransport : ITransport
{
    private readonly IReadOnlyList<IPEndPoint> _listen;
    private readonly ProtocolSessions _sessions;
    private readonly ILogger _logger;
    private readonly List<Socket> _listeners = [];
    private readonly Lock _tableGate = new();
    private EpollConnection?[] _connections = new EpollConnection?[1024];
    private readonly Stack<int> _freeSlots = new();
    private int _nextSlot;
    private int _epoll = -1;
    private int _wake = -1; // an eventfd in the epoll set: a stop wakes the receive thread, which otherwise may wait for ever
    private Thread? _receiver;
    private volatile bool _stopping;
    private readonly Lazy<Task> _stop;
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ManualResetEventSlim _closeAllowed = new();
    private readonly TaskCompletionSource _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public EpollTransport(ServerOptions options, IngestPipeline pipeline, ServerCounters counters, ILogger logger)
    {
        _listen = options.Listen;
        _sessions = new ProtocolSessions(options, pipeline, counters, logger);
        _logger = logger;
        _stop = new Lazy<Task>(StopCoreAsync);
    }

    public IReadOnlyList<IPEndPoint> Endpoints => _listeners.Select(l => (IPEndPoint)l.LocalEndPoint!).ToArray();

    /// <inheritdoc />
    public Task Failed => _failed.Task;

    /// <summary>The epoll set's descriptor, for the test that makes <c>epoll_wait</c> fail.</summary>
    internal int EpollDescriptor => _epoll;

    public unsafe Task StartAsync()
    {
        _epoll = LinuxEpoll.Create(LinuxEpoll.Cloexec);
        if (_epoll < 0)
        {
            throw new IOException($"epoll_create1 failed (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}).");
        }

        _wake = Interop.EventFd(0, Interop.EfdCloexec | Interop.EfdNonBlock);
        var wake = new LinuxEpoll.Event { Events = LinuxEpoll.In | LinuxEpoll.Et, Data = WakeData };
        if (_wake < 0 || LinuxEpoll.Ctl(_epoll, LinuxEpoll.CtlAdd, _wake, &wake) != 0)
        {
            throw new IOException($"eventfd failed (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}).");
        }

        foreach (var endpoint in _listen)
        {
            _listeners.Add(Listen(endpoint));
        }

        _receiver = new Thread(ReceiveLoop) { Name = "horodate-epoll", IsBackground = true };
        _receiver.Start();
        StartAccepting();
        return Task.CompletedTask;
    }

    /// <summary>The epoll data of the wake-up eventfd: no connection slot.</summary>
    private const ulong WakeData = ulong.MaxValue;

    /// <summary>Wakes the receive thread from its wait (edge-triggered: each write reports once).</summary>
    private unsafe void WakeReceiver()
    {
        ulong one = 1;
        _ = Interop.Write(_wake, &one, sizeof(ulong));
    }

    /// <summary>
    /// Stops accepting and drains the receive thread. Runs once: every caller awaits the same stop (a second run would
    /// shut down listener descriptors the first already closed, whose numbers may belong to other sockets by then).
    /// </summary>
    public Task StopAsync() => _stop.Value;

    private async Task StopCoreAsync()
    {
        // No new connections; then the receive thread drains what is in flight, hands it over, and waits for
        // CloseAsync (the final acknowledgements go out meanwhile) before it closes everything.
        await Task.Run(StopAccepting).ConfigureAwait(false);
        _stopping = true;
        WakeReceiver();
        if (_receiver is not null)
        {
            await _drained.Task.ConfigureAwait(false);
        }
    }

    public async Task CloseAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _closeAllowed.Set();
        if (_receiver is { } receiver)
        {
            await Task.Run(receiver.Join).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync().ConfigureAwait(false);
        if (_epoll >= 0)
        {
            _ = LinuxEpoll.Close(_epoll);
            _epoll = -1;
        }

        if (_wake >= 0)
        {
            _ = LinuxEpoll.Close(_wake);
            _wake = -1;
        }

        _closeAllowed.Dispose();
        _acceptPause.Dispose();
    }

    private EpollConnection? ConnectionAt(int slot)
    {
        var table = Volatile.Read(ref _connections);
        return (uint)slot < (uint)table.Length ? table[slot] : null;
    }

    private int AddToTable(EpollConnection connection)
    {
        lock (_tableGate)
        {
            var slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : _nextSlot++;
            if (slot >= _connections.Length)
            {
                var bigger = new EpollConnection?[_connections.Length * 2];
                _connections.CopyTo(bigger, 0);
                Volatile.Write(ref _connections, bigger);
            }

            Volatile.Write(ref _connections[slot], connection);
            return slot;
        }
    }

    private void RemoveFromTable(int slot)
    {
        lock (_tableGate)
        {
            _connections[slot] = null;
            _freeSlots.Push(slot);
        }
    }
}
