using System.Runtime.InteropServices;

namespace Horodate.Client.Load;

/// <summary>
/// The libc calls the scheduler threads read the server's lines with (<c>epoll_create1</c>, <c>epoll_ctl</c>,
/// <c>epoll_wait</c>, <c>recv</c>, <c>close</c>): one level-triggered epoll set per thread over its plain sockets, as
/// the C client waits, instead of an asynchronous reader per connection (docs/performance.md, the client's memory).
/// </summary>
internal static partial class NativeEpoll
{
    public const int CtlAdd = 1;
    public const int CtlDel = 2;
    public const uint In = 0x001;
    public const uint RdHup = 0x2000;
    private const int Cloexec = 0x80000;
    private const int MsgDontWait = 0x40;
    private const int Eintr = 4;
    private const int Eagain = 11;

    /// <summary>
    /// True where <see cref="Event"/> has the kernel's layout and <see cref="NativeSend"/> sends: Linux on x86-64,
    /// where the C struct is packed (12 bytes). Elsewhere each connection keeps its asynchronous reader.
    /// </summary>
    public static bool IsSupported => NativeSend.IsSupported && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    /// <summary>A new epoll set, or -1.</summary>
    public static int Create() => EpollCreate(Cloexec);

    /// <summary>Watches <paramref name="fd"/> for input and the peer's close, level-triggered; true if it worked.</summary>
    public static unsafe bool Add(int epoll, int fd, ulong data)
    {
        var ev = new Event { Events = In | RdHup, Data = data };
        return EpollCtl(epoll, CtlAdd, fd, &ev) == 0;
    }

    /// <summary>Stops watching <paramref name="fd"/> (nothing if it was not watched).</summary>
    public static unsafe void Remove(int epoll, int fd)
    {
        var ev = default(Event); // kernels before 2.6.9 want a non-null pointer
        _ = EpollCtl(epoll, CtlDel, fd, &ev);
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> for ready sockets; returns how many (0 when interrupted).</summary>
    public static unsafe int Wait(int epoll, Span<Event> events, int timeoutMs)
    {
        fixed (Event* ev = events)
        {
            var ready = EpollWait(epoll, ev, events.Length, timeoutMs);
            return ready > 0 ? ready : 0; // EINTR: the caller's loop waits again
        }
    }

    /// <summary>
    /// Reads what is there without blocking: the bytes read; 0 when the peer closed; -1 when nothing is there
    /// (or interrupted); -2 when the connection failed (reset).
    /// </summary>
    public static unsafe int Receive(int fd, Span<byte> into)
    {
        fixed (byte* buffer = into)
        {
            var read = Recv(fd, buffer, into.Length, MsgDontWait);
            if (read >= 0)
            {
                return (int)read;
            }

            return Marshal.GetLastPInvokeError() is Eagain or Eintr ? -1 : -2;
        }
    }

    public static void Close(int fd) => _ = CloseCore(fd);

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    private static partial int EpollCreate(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    private static unsafe partial int EpollCtl(int epfd, int op, int fd, Event* ev);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    private static unsafe partial int EpollWait(int epfd, Event* events, int maxEvents, int timeoutMs);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static unsafe partial nint Recv(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int CloseCore(int fd);

    /// <summary><c>struct epoll_event</c> as x86-64 Linux lays it out: packed, 12 bytes.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct Event
    {
        public uint Events;
        public ulong Data;
    }
}
