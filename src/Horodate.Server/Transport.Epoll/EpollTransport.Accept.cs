using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Horodate.Core.Protocol;
using Horodate.Native;
using Horodate.Server.Logging;

namespace Horodate.Server.Transport.Epoll;

/// <summary>
/// The accepts: one thread per listener blocks in <c>accept4</c> and registers each connection in the receive
/// thread's epoll set at once (concurrently with the reads, as the runtime's accept loop did, so a burst of connects
/// is taken as fast as it comes). A connection costs <c>accept4</c> and one <c>epoll_ctl</c>: no runtime socket, no
/// thread-pool hop, no task, no <c>setsockopt</c> or <c>fcntl</c> per connection (the runtime's accept loop was
/// ~20 % of the server's CPU in the ramp of 2,000 acknowledged connections, perf).
/// </summary>
internal sealed partial class EpollTransport
{
    private readonly Horodate.Core.Diagnostics.RateLimiter _acceptErrorLog = new(TimeSpan.FromSeconds(5));
    private readonly List<Thread> _acceptors = [];
    private volatile bool _acceptStopping;

    /// <summary>Starts one accepting thread per listener.</summary>
    private void StartAccepting()
    {
        foreach (var listener in _listeners)
        {
            var thread = new Thread(() => AcceptLoop(listener)) { Name = "horodate-accept", IsBackground = true };
            _acceptors.Add(thread);
            thread.Start();
        }
    }

    /// <summary>
    /// No new connections: <c>shutdown</c> wakes an <c>accept4</c> blocked on a listener (it fails with EINVAL), the
    /// threads end, then the listeners are closed (what is pending in their backlogs is reset).
    /// </summary>
    private void StopAccepting()
    {
        _acceptStopping = true;
        _acceptPause.Set();
        foreach (var listener in _listeners)
        {
            _ = Interop.Shutdown((int)listener.Handle, Interop.ShutRdWr);
        }

        foreach (var thread in _acceptors)
        {
            thread.Join();
        }

        foreach (var listener in _listeners)
        {
            listener.Dispose();
        }
    }

    /// <summary>Wakes an accepting thread from its pause after an error when the transport stops.</summary>
    private readonly ManualResetEventSlim _acceptPause = new(false, spinCount: 0);

    /// <summary>Accepts until the transport stops; registers each connection with the receive thread.</summary>
    private unsafe void AcceptLoop(Socket listener)
    {
        var fd = (int)listener.Handle;
        var address = stackalloc byte[Interop.SockaddrStorageSize];
        var failures = 0;
        while (!_acceptStopping)
        {
            var length = Interop.SockaddrStorageSize;
            var accepted = Interop.Accept4(fd, address, &length, Interop.SockNonBlockCloexec);
            if (accepted >= 0)
            {
                failures = 0;
                Register(accepted, RemoteOf(address, length));
                continue;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (_acceptStopping || errno is LinuxEpoll.Eintr or Interop.Econnaborted)
            {
                continue; // stopping, or a connection reset before it was taken: take the next
            }

            // Out of descriptors or memory (EMFILE, ENFILE, ENOBUFS): back off in tiers (10 ms, then 100 ms after
            // 10 failures in a row, 1 s after 100) rather than spin.
            failures++;
            if (_acceptErrorLog.TryAcquire(out var suppressed))
            {
                ServerLog.AcceptFailed(_logger, listener.LocalEndPoint?.ToString(), Marshal.GetPInvokeErrorMessage(errno), suppressed);
            }

            _acceptPause.Wait(failures < 10 ? 10 : failures < 100 ? 100 : 1_000);
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
    /// A listening socket (blocking: its thread waits in <c>accept4</c>), with TCP keepalive on:
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
            return listener;
        }
        catch (SocketException ex)
        {
            listener.Dispose();
            throw new IOException($"cannot listen on {endpoint}: {ex.Message}", ex);
        }
    }
}
