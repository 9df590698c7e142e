using System.Net;
using System.Net.Sockets;

namespace Horodate.FunctionalTests.Support;

/// <summary>
/// A stand-in server over a real loopback socket, for what the client does against servers the real one never is
/// (a plain sink, a slow greeter, a busy acceptor): it accepts every connection and runs the test's
/// <c>serve(peer, index, stop)</c> for each, <c>index</c> counting accepted connections from 0. Disposing it stops
/// accepting, cancels every peer and waits for them (a peer's end by cancellation, reset or close is no failure; any
/// other exception of a peer fails the stop).
/// </summary>
internal sealed class FakeServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
    private readonly Task _accepting;

    private FakeServer(TcpListener listener, Func<Socket, int, CancellationToken, Task> serve, TimeSpan acceptAfter)
    {
        _listener = listener;
        _accepting = AcceptAsync(serve, acceptAfter);
    }

    /// <summary>The port on 127.0.0.1 it listens on.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>
    /// Listens on a free port of 127.0.0.1 with an accept queue of <paramref name="backlog"/>, and takes nothing from
    /// it for <paramref name="acceptAfter"/> (a busy server; the kernel drops SYNs beyond the queue).
    /// </summary>
    public static FakeServer Start(Func<Socket, int, CancellationToken, Task> serve, int backlog = 512, TimeSpan acceptAfter = default)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start(backlog);
        return new FakeServer(listener, serve, acceptAfter);
    }

    /// <summary>A peer that reads everything and never writes: the statement's plain server.</summary>
    public static async Task SinkAsync(Socket peer, CancellationToken stop)
    {
        var buffer = new byte[4096];
        while (await peer.ReceiveAsync(buffer, stop) > 0)
        {
        }
    }

    /// <summary>Stops accepting, cancels every peer and waits for them: what they recorded is complete after it.</summary>
    public async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
            _listener.Stop();
        }

        await _accepting.WaitAsync(Within.Short, TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task AcceptAsync(Func<Socket, int, CancellationToken, Task> serve, TimeSpan acceptAfter)
    {
        var peers = new List<Task>();
        try
        {
            if (acceptAfter > TimeSpan.Zero)
            {
                await Task.Delay(acceptAfter, _stop.Token); // the scenario (a busy server), not a synchronisation
            }

            for (var index = 0; ; index++)
            {
                var peer = await _listener.AcceptSocketAsync(_stop.Token);
                var accepted = index;
                peers.Add(Task.Run(async () =>
                {
                    using (peer)
                    {
                        try
                        {
                            await serve(peer, accepted, _stop.Token);
                        }
                        catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException)
                        {
                            // the test is over, or the client reset the connection
                        }
                    }
                }));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // stopped
        }

        await Task.WhenAll(peers);
    }
}
