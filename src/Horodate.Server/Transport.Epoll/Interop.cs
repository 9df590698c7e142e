using System.Runtime.InteropServices;

namespace Horodate.Server.Transport.Epoll;

/// <summary>
/// The libc calls only the epoll transport needs (<c>eventfd</c>, <c>write</c>: its wake-up); the epoll and read calls
/// both programs share are <see cref="Native.LinuxEpoll"/>.
/// </summary>
internal static partial class Interop
{
    public const int EfdCloexec = 0x80000;
    public const int EfdNonBlock = 0x800;

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initial, int flags);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static unsafe partial nint Write(int fd, void* buffer, nint count);
}
