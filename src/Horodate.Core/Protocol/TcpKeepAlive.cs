using System.Net.Sockets;

namespace Horodate.Core.Protocol;

/// <summary>
/// TCP keepalive as both programs use it: probes after 60 s idle, every 10 s, 3 misses. A peer that vanished (its host
/// gone, the network cut) errors the socket out within 90 s even when nothing is being sent: the server's silent
/// connections, a client waiting for the answer to its hello.
/// </summary>
public static class TcpKeepAlive
{
    /// <summary>Turns keepalive on for <paramref name="socket"/>.</summary>
    public static void Enable(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 60);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 10);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);
    }
}
