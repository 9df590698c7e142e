using System.Net.Sockets;
using Horodate.Core.Protocol;
using Horodate.Native;
using Horodate.Server.Logging;

namespace Horodate.Server.Transport.Epoll;

internal sealed partial class EpollTransport
{
    private readonly Horodate.Core.Diagnostics.RateLimiter _acceptErrorLog = new(TimeSpan.FromSeconds(5));

    /// <summary>Accepts until the transport stops; registers each connection with the receive thread.</summary>
    private async Task AcceptLoopAsync(Socket listener)
    {
        var failures = 0;
        while (!_stopAccepting.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(_stopAccepting.Token).ConfigureAwait(false);
                failures = 0;
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                // Out of descriptors or memory: back off in tiers (10 ms, 100 ms, 1 s) rather than spin.
                failures++;
                if (_acceptErrorLog.TryAcquire(out var suppressed))
                {
                    ServerLog.AcceptFailed(_logger, listener.LocalEndPoint?.ToString(), ex.Message, suppressed);
                }

                try
                {
                    await Task.Delay(failures < 10 ? 10 : failures < 100 ? 100 : 1_000, _stopAccepting.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            Register(socket);
        }
    }

    private unsafe void Register(Socket socket)
    {
        if (!_sessions.Admission.TryAdmit(socket.RemoteEndPoint))
        {
            socket.Dispose();
            return;
        }

        socket.Blocking = false;
        TcpKeepAlive.Enable(socket);
        var connection = new EpollConnection(socket, _sessions.Open(socket.RemoteEndPoint?.ToString(), static source => $"epoll-{source}"));
        connection.Session.Start(connection.Acks); // before epoll can report the socket, like the table slot
        connection.Slot = AddToTable(connection);

        var ev = new LinuxEpoll.Event { Events = LinuxEpoll.In | LinuxEpoll.RdHup, Data = (ulong)connection.Slot };
        if (LinuxEpoll.Ctl(_epoll, LinuxEpoll.CtlAdd, (int)socket.Handle, &ev) != 0)
        {
            RemoveFromTable(connection.Slot);
            connection.Session.Close();
            socket.Dispose();
        }
    }
}
