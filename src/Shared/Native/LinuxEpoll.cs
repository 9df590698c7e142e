using System.Runtime.InteropServices;

namespace Horodate.Native;

/// <summary>
/// The libc calls both programs wait on, read and write their sockets with (<c>epoll_create1</c>, <c>epoll_ctl</c>,
/// <c>epoll_wait</c>, <c>recv</c>, <c>send</c>, <c>close</c>), straight from libc: the server's epoll transport (its
/// reads and its acknowledgements) and the client's scheduler threads (their values and their reads). Through <see cref="System.Net.Sockets.Socket.Receive(Span{byte}, System.Net.Sockets.SocketFlags, out System.Net.Sockets.SocketError)"/>
/// a read costs a handle reference count, the runtime's shim and its error mapping on top (about 2.5 % of the
/// server's CPU at 5,000 connections, measured with perf).
/// </summary>
internal static partial class LinuxEpoll
{
    public const int CtlAdd = 1;
    public const int CtlDel = 2;
    public const int CtlMod = 3;
    public const int Cloexec = 0x80000;
    public const uint In = 0x001;
    public const uint Out = 0x004;
    public const uint RdHup = 0x2000;
    public const uint Et = 1u << 31;
    public const int MsgDontWait = 0x40;

    /// <summary><c>send</c>'s flag for no SIGPIPE from a peer that is gone (MSG_NOSIGNAL).</summary>
    public const int MsgNoSignal = 0x4000;
    public const int Eintr = 4;
    public const int Eagain = 11;

    /// <summary>
    /// True where <see cref="Event"/> has the kernel's layout: Linux on x86-64, where the C struct is packed
    /// (12 bytes). Elsewhere the programs use the runtime's sockets (the server its Kestrel transport).
    /// </summary>
    public static bool IsSupported => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int Create(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    public static unsafe partial int Ctl(int epfd, int op, int fd, Event* ev);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    public static unsafe partial int Wait(int epfd, Event* events, int maxEvents, int timeoutMs);

    /// <summary><c>recv</c> on a non-blocking socket: the one call per ready socket.</summary>
    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    public static unsafe partial nint Recv(int fd, byte* buffer, nint length, int flags);

    /// <summary><c>send</c> on a socket: the one call per value (client) or per acknowledgement (server).</summary>
    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    public static unsafe partial nint Send(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    /// <summary><c>struct epoll_event</c> as x86-64 Linux lays it out: packed, 12 bytes.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct Event
    {
        public uint Events;
        public ulong Data;
    }
}
