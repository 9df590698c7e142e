using System.Runtime.InteropServices;

namespace Horodate.Server.Transport.Epoll;

/// <summary>
/// The libc calls only the epoll transport needs: its wake-up (<c>eventfd</c>, <c>write</c>), and the accepts and the
/// half-close on raw descriptors (<c>accept4</c>, <c>shutdown</c>), as the C reference server makes them; the epoll,
/// read and send calls both programs share are <see cref="Native.LinuxEpoll"/>.
/// </summary>
internal static partial class Interop
{
    public const int EfdCloexec = 0x80000;
    public const int EfdNonBlock = 0x800;

    /// <summary><c>accept4</c>'s flags: the accepted descriptor is non-blocking and closed on exec (O_NONBLOCK, O_CLOEXEC).</summary>
    public const int SockNonBlockCloexec = 0x800 | 0x80000;

    public const int ShutWr = 1;
    public const int ShutRdWr = 2;
    public const int AfInet = 2;
    public const int AfInet6 = 10;
    public const int Econnaborted = 103;

    /// <summary>The size of <c>struct sockaddr_storage</c>: room for any peer address <c>accept4</c> reports.</summary>
    public const int SockaddrStorageSize = 128;

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initial, int flags);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static unsafe partial nint Write(int fd, void* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "accept4", SetLastError = true)]
    public static unsafe partial int Accept4(int fd, byte* address, int* addressLength, int flags);

    [LibraryImport("libc", EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(int fd, int how);
}
