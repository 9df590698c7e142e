using System.Net.Sockets;
using System.Runtime.InteropServices;
using Horodate.Native;

namespace Horodate.Client.Load;

/// <summary>
/// <c>send(2)</c> straight from libc (<see cref="LinuxEpoll.Send"/>), for the scheduler threads' one call per value on Linux. <see cref="Socket.Send(ReadOnlySpan{byte}, SocketFlags, out SocketError)"/>
/// does the same system call behind a disposed check, a safe-handle reference count (two interlocked operations),
/// the runtime's portable shim and its flag and error translation: in the client's profile (docs/performance.md,
/// "Where the time goes: the client") that wrapping was about 5 % of the client's CPU, as much as everything else
/// it does per value. The caller keeps the socket's handle referenced while it sends on the descriptor.
/// </summary>
internal static partial class NativeSend
{
    // Never block (the scheduler must not stall), no SIGPIPE from a closed peer.
    private const int Flags = LinuxEpoll.MsgDontWait | LinuxEpoll.MsgNoSignal;

    /// <summary>True where the descriptor and the flags above mean what they say: Linux.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>Sends what the kernel takes of <paramref name="data"/> without blocking; returns the bytes taken.</summary>
    public static unsafe int Send(int fd, ReadOnlySpan<byte> data, out SocketError error)
    {
        nint sent;
        fixed (byte* bytes = data)
        {
            do
            {
                sent = LinuxEpoll.Send(fd, bytes, data.Length, Flags);
            }
            while (sent < 0 && Marshal.GetLastPInvokeError() == LinuxEpoll.Eintr);
        }

        if (sent >= 0)
        {
            error = SocketError.Success;
            return (int)sent;
        }

        error = Errno.ToSocketError(Marshal.GetLastPInvokeError());
        return 0;
    }

    /// <summary>
    /// The Linux <c>errno</c> values a send on a connected TCP socket, or a connect (<see cref="NativeConnect"/>), can
    /// end with, as the runtime names them.
    /// </summary>
    internal static class Errno
    {
        public const int InProgress = 115; // EINPROGRESS: a non-blocking connect under way

        public static SocketError ToSocketError(int errno) => errno switch
        {
            11 => SocketError.WouldBlock,            // EAGAIN, EWOULDBLOCK
            32 => SocketError.Shutdown,              // EPIPE: the sending side was shut down, or the peer is gone
            104 => SocketError.ConnectionReset,      // ECONNRESET
            103 => SocketError.ConnectionAborted,    // ECONNABORTED
            107 => SocketError.NotConnected,         // ENOTCONN
            110 => SocketError.TimedOut,             // ETIMEDOUT (keepalive gave up)
            111 => SocketError.ConnectionRefused,    // ECONNREFUSED
            113 => SocketError.HostUnreachable,      // EHOSTUNREACH
            101 => SocketError.NetworkUnreachable,   // ENETUNREACH
            105 => SocketError.NoBufferSpaceAvailable, // ENOBUFS
            99 => SocketError.AddressNotAvailable,   // EADDRNOTAVAIL: no ephemeral port left
            12 => SocketError.NoBufferSpaceAvailable,  // ENOMEM
            9 => SocketError.OperationAborted,       // EBADF: closed under us
            _ => SocketError.SocketError,
        };
    }
}
