using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Horodate.Native;

namespace Horodate.Client.Load;

/// <summary>
/// A non-blocking <c>connect(2)</c> straight from libc, for plain connections on Linux: the socket is never given to
/// the runtime's asynchronous machinery (<see cref="Socket.ConnectAsync(EndPoint, CancellationToken)"/> leaves each
/// socket a <c>SocketAsyncContext</c>, an <c>AwaitableSocketAsyncEventArgs</c>, a cached operation and delegates,
/// ~0.6 KB for its whole life, and registers it with the runtime's epoll thread). The connect completes in the
/// owning scheduler thread's epoll set (<see cref="SendScheduler.TryWatchConnect"/>), where the socket becomes
/// writable; <see cref="Outcome"/> then says how it ended.
/// </summary>
internal static partial class NativeConnect
{
    private const int SolSocket = 1;        // SOL_SOCKET
    private const int SoError = 4;          // SO_ERROR
    private const int FGetFl = 3;           // F_GETFL
    private const int FSetFl = 4;           // F_SETFL
    private const int ONonBlock = 0x800;    // O_NONBLOCK (04000)

    /// <summary>True where the scheduler threads have an epoll set to see the connect complete in: Linux on x86-64.</summary>
    public static bool IsSupported => NativeEpoll.IsSupported;

    /// <summary>
    /// Makes <paramref name="socket"/>'s descriptor non-blocking behind the runtime's back: <see cref="Socket.Blocking"/>
    /// would give the socket a <c>SocketAsyncContext</c> (152 B, for its whole life) to do it. The runtime still takes the
    /// socket for a blocking one, so nothing may send or receive on it through <see cref="Socket"/>: the client sends
    /// with <see cref="NativeSend"/> and reads in its scheduler threads' epoll sets; it only shuts down and closes it.
    /// </summary>
    public static bool TrySetNonBlocking(Socket socket)
    {
        var fd = (int)socket.SafeHandle.DangerousGetHandle();
        var flags = Fcntl(fd, FGetFl, 0);
        return flags >= 0 && Fcntl(fd, FSetFl, flags | ONonBlock) == 0;
    }

    /// <summary>
    /// Starts connecting <paramref name="socket"/> (non-blocking) to <paramref name="endpoint"/>: <see cref="SocketError.Success"/>
    /// when connected at once, <see cref="SocketError.InProgress"/> when under way (the socket becomes writable when
    /// it ends), or why it failed.
    /// </summary>
    public static unsafe SocketError Start(Socket socket, IPEndPoint endpoint)
    {
        // SocketAddress holds the platform's own sockaddr (sockaddr_in / sockaddr_in6 on Linux).
        var address = endpoint.Serialize();
        int result;
        fixed (byte* sockaddr = address.Buffer.Span)
        {
            result = ConnectCore((int)socket.SafeHandle.DangerousGetHandle(), sockaddr, address.Size);
        }

        if (result == 0)
        {
            return SocketError.Success;
        }

        // EINTR does not cancel a connect: it goes on asynchronously, as after EINPROGRESS (connect(2)); calling
        // connect again would only answer EALREADY.
        var errno = Marshal.GetLastPInvokeError();
        return errno is NativeSend.Errno.InProgress or LinuxEpoll.Eintr
            ? SocketError.InProgress
            : NativeSend.Errno.ToSocketError(errno);
    }

    /// <summary>Once the socket <paramref name="fd"/> became writable (or failed): how its connect ended (<c>SO_ERROR</c>).</summary>
    public static unsafe SocketError Outcome(int fd)
    {
        int error = 0, length = sizeof(int);
        if (GetSockOpt(fd, SolSocket, SoError, &error, &length) != 0)
        {
            return NativeSend.Errno.ToSocketError(Marshal.GetLastPInvokeError());
        }

        return error == 0 ? SocketError.Success : NativeSend.Errno.ToSocketError(error);
    }

    [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static unsafe partial int ConnectCore(int fd, byte* address, int length);

    // fcntl is variadic in C; its third argument is an int here, passed in a register as any other on x86-64 Linux.
    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static unsafe partial int GetSockOpt(int fd, int level, int name, int* value, int* length);
}
