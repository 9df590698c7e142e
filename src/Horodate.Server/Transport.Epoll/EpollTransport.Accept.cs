using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Horodate.Core.Protocol;
using Horodate.Native;
using Horodate.Server.Logging;

namespace Horodate.Server.Transport.Epoll;

/// <summary>
/// The accepts, on the receive thread as in the C reference server: the listeners are in the epoll set, and a ready
/// listener is drained with non-blocking <c>accept4</c> calls, each connection registered at once. A connection
/// costs <c>accept4</c> and one <c>epoll_ctl</c>: no runtime socket, no thread-pool hop, no task per accept (the
/// runtime's accept loop was ~20 % of the server's CPU in the ramp of 2,000 acknowledged connections, perf).
/// </summary>
internal sealed partial class EpollTransport
{
    /// <summary>
    /// Connections taken from one listener per wake-up at most: a burst of connects is taken in a few passes, the
    /// ready sockets of the same wait read in between (level-triggered: a listener with more is reported again).
    /// 256 is half of <see cref="MaxEvents"/>: a wake-up's accepts never cost more than its reads can.
    /// </summary>
    private const int AcceptsPerWake = 256;

    private readonly Horodate.Core.Diagnostics.RateLimiter _acceptErrorLog = new(TimeSpan.FromSeconds(5));
    private readonly List<int> _listenerFds = [];
    private int _acceptFailures;
    private long _acceptPausedUntil; // a Stopwatch timestamp while accepting is paused after an error; 0 otherwise
    private bool _listenersClosed;

    /// <summary>The epoll data of listener <paramref name="index"/>: below the wake-up's, above any connection slot.</summary>
    private static ulong ListenerData(int index) => WakeData - 1 - (ulong)index;

    /// <summary>Puts the listeners in the epoll set (<paramref name="add"/>), or turns their events on or off.</summary>
    private unsafe void WatchListeners(bool add, bool accepting)
    {
        for (var i = 0; i < _listenerFds.Count; i++)
        {
            var ev = new LinuxEpoll.Event { Events = accepting ? LinuxEpoll.In : 0, Data = ListenerData(i) };
            if (LinuxEpoll.Ctl(_epoll, add ? LinuxEpoll.CtlAdd : LinuxEpoll.CtlMod, _listenerFds[i], &ev) != 0)
            {
                throw new IOException($"epoll_ctl on a listener failed (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
    }

    /// <summary>Takes the pending connections of listener <paramref name="index"/>, up to <see cref="AcceptsPerWake"/>.</summary>
    private unsafe void AcceptReady(int index)
    {
        var listener = _listenerFds[index];
        var address = stackalloc byte[Interop.SockaddrStorageSize];
        for (var i = 0; i < AcceptsPerWake; i++)
        {
            var length = Interop.SockaddrStorageSize;
            var fd = Interop.Accept4(listener, address, &length, Interop.SockNonBlockCloexec);
            if (fd >= 0)
            {
                _acceptFailures = 0;
                Register(fd, RemoteOf(address, length));
                continue;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno is LinuxEpoll.Eintr or Interop.Econnaborted)
            {
                continue; // a connection reset before it was taken: take the next
            }

            if (errno != LinuxEpoll.Eagain)
            {
                PauseAccepting(index, errno);
            }

            return;
        }
    }

    /// <summary>
    /// Out of descriptors or memory (EMFILE, ENFILE, ENOBUFS): the pending connection stays in the backlog and the
    /// listener stays ready, so stop watching the listeners for a while rather than spin, in tiers (10 ms, then
    /// 100 ms after 10 failures in a row, 1 s after 100); reads go on meanwhile.
    /// </summary>
    private void PauseAccepting(int index, int errno)
    {
        _acceptFailures++;
        if (_acceptErrorLog.TryAcquire(out var suppressed))
        {
            ServerLog.AcceptFailed(_logger, _listeners[index].LocalEndPoint?.ToString(), Marshal.GetPInvokeErrorMessage(errno), suppressed);
        }

        var pause = TimeSpan.FromMilliseconds(_acceptFailures < 10 ? 10 : _acceptFailures < 100 ? 100 : 1_000);
        _acceptPausedUntil = Stopwatch.GetTimestamp() + (long)(pause.TotalSeconds * Stopwatch.Frequency);
        WatchListeners(add: false, accepting: false);
    }

    /// <summary>Watches the listeners again once a pause after an accept error has passed.</summary>
    private void ResumeAcceptingIfDue(long now)
    {
        if (_acceptPausedUntil != 0 && now >= _acceptPausedUntil && !_listenersClosed)
        {
            _acceptPausedUntil = 0;
            WatchListeners(add: false, accepting: true);
        }
    }

    /// <summary>Milliseconds until accepting resumes (at least 1), or -1 when it is not paused.</summary>
    private int UntilAcceptingResumes(long now) =>
        _acceptPausedUntil == 0 ? -1 : (int)Math.Max(1, Stopwatch.GetElapsedTime(now, _acceptPausedUntil).TotalMilliseconds);

    /// <summary>No new connections (a stop): closing the listeners takes them out of the epoll set; what is pending in their backlogs is reset.</summary>
    private void CloseListeners()
    {
        if (!_listenersClosed)
        {
            _listenersClosed = true;
            foreach (var listener in _listeners)
            {
                listener.Dispose();
            }
        }
    }

    /// <summary>The peer's address from <c>accept4</c>'s <c>sockaddr_in</c> or <c>sockaddr_in6</c> (port in network order).</summary>
    private static unsafe IPEndPoint? RemoteOf(byte* address, int length)
    {
        var port = BinaryPrimitives.ReverseEndianness(*(ushort*)(address + 2));
        return *(ushort*)address switch
        {
            Interop.AfInet when length >= 16 => new IPEndPoint(new IPAddress(new ReadOnlySpan<byte>(address + 4, 4)), port),
            Interop.AfInet6 when length >= 28 => new IPEndPoint(new IPAddress(new ReadOnlySpan<byte>(address + 8, 16), *(uint*)(address + 24)), port),
            _ => null,
        };
    }

    private unsafe void Register(int fd, IPEndPoint? remote)
    {
        if (!_sessions.Admission.TryAdmit(remote))
        {
            _ = LinuxEpoll.Close(fd);
            return;
        }

        // Keepalive needs no call here: the socket inherited it from its listener (see Listen).
        var connection = new EpollConnection(fd, _sessions.Open(remote?.ToString(), static source => $"epoll-{source}"));
        connection.Session.Start(connection.Acks); // before epoll can report the socket, like the table slot
        connection.Slot = AddToTable(connection);

        var ev = new LinuxEpoll.Event { Events = LinuxEpoll.In | LinuxEpoll.RdHup, Data = (ulong)connection.Slot };
        if (LinuxEpoll.Ctl(_epoll, LinuxEpoll.CtlAdd, fd, &ev) != 0)
        {
            RemoveFromTable(connection.Slot);
            connection.Session.Close();
            connection.Acks.Close();
        }
    }

    /// <summary>
    /// A listening socket, non-blocking (the receive thread's <c>accept4</c> must never wait), with TCP keepalive on:
    /// Linux copies a listener's socket options, keepalive and its times included, to every socket accepted from it
    /// (the accepted socket is a clone of the listener's; its keepalive timer is armed at creation), which saves four
    /// <c>setsockopt</c> calls per connection.
    /// </summary>
    internal static Socket Listen(IPEndPoint endpoint)
    {
        var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // As Kestrel does on Unix: a restart must not wait for the previous run's TIME_WAIT sockets. SO_REUSEADDR
            // alone, set raw (SOL_SOCKET 1, SO_REUSEADDR 2 on Linux): SocketOptionName.ReuseAddress also sets
            // SO_REUSEPORT there, which let a second server bind a port a running one holds and take half its peers.
            listener.SetRawSocketOption(1, 2, BitConverter.GetBytes(1));
            TcpKeepAlive.Enable(listener);
            listener.Bind(endpoint);
            listener.Listen(4096); // the kernel caps it at net.core.somaxconn
            listener.Blocking = false;
            return listener;
        }
        catch (SocketException ex)
        {
            listener.Dispose();
            throw new IOException($"cannot listen on {endpoint}: {ex.Message}", ex);
        }
    }
}
