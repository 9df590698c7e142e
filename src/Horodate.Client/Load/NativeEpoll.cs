using System.Runtime.InteropServices;
using Horodate.Native;

namespace Horodate.Client.Load;

/// <summary>
/// The scheduler threads' reads of the server's lines, over <see cref="LinuxEpoll"/>: one level-triggered epoll set
/// per thread over its plain sockets, as the C client waits, instead of an asynchronous reader per connection
/// (docs/performance.md, the client's memory).
/// </summary>
internal static class NativeEpoll
{
    /// <summary>
    /// True where <see cref="LinuxEpoll.Event"/> has the kernel's layout and <see cref="NativeSend"/> sends. Elsewhere
    /// each connection keeps its asynchronous reader.
    /// </summary>
    public static bool IsSupported => NativeSend.IsSupported && LinuxEpoll.IsSupported;

    /// <summary>A new epoll set, or -1.</summary>
    public static int Create() => LinuxEpoll.Create(LinuxEpoll.Cloexec);

    /// <summary>Watches <paramref name="fd"/> for input and the peer's close, level-triggered; true if it worked.</summary>
    public static unsafe bool Add(int epoll, int fd, ulong data)
    {
        var ev = new LinuxEpoll.Event { Events = LinuxEpoll.In | LinuxEpoll.RdHup, Data = data };
        return LinuxEpoll.Ctl(epoll, LinuxEpoll.CtlAdd, fd, &ev) == 0;
    }

    /// <summary>Watches <paramref name="fd"/>, a connect under way, until it becomes writable (or fails: error and hang-up are always reported).</summary>
    public static unsafe bool AddConnect(int epoll, int fd, ulong data)
    {
        var ev = new LinuxEpoll.Event { Events = LinuxEpoll.Out, Data = data };
        return LinuxEpoll.Ctl(epoll, LinuxEpoll.CtlAdd, fd, &ev) == 0;
    }

    /// <summary>Stops watching <paramref name="fd"/> (nothing if it was not watched).</summary>
    public static unsafe void Remove(int epoll, int fd)
    {
        var ev = default(LinuxEpoll.Event); // kernels before 2.6.9 want a non-null pointer
        _ = LinuxEpoll.Ctl(epoll, LinuxEpoll.CtlDel, fd, &ev);
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> for ready sockets; returns how many (0 when interrupted).</summary>
    public static unsafe int Wait(int epoll, Span<LinuxEpoll.Event> events, int timeoutMs)
    {
        fixed (LinuxEpoll.Event* ev = events)
        {
            var ready = LinuxEpoll.Wait(epoll, ev, events.Length, timeoutMs);
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
            var read = LinuxEpoll.Recv(fd, buffer, into.Length, LinuxEpoll.MsgDontWait);
            if (read >= 0)
            {
                return (int)read;
            }

            return Marshal.GetLastPInvokeError() is LinuxEpoll.Eagain or LinuxEpoll.Eintr ? -1 : -2;
        }
    }

    public static void Close(int fd) => _ = LinuxEpoll.Close(fd);
}
