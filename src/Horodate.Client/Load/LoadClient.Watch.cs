using System.Diagnostics;
using System.Net.Sockets;
using Horodate.Client.Logging;

namespace Horodate.Client.Load;

public sealed partial class LoadClient
{
    /// <summary>
    /// Reads what the server sends until the connection's hello is settled: nothing from a plain server, <c>OK</c> and
    /// <c>ACK v</c> lines from one in acknowledged mode; notices when the server closes the socket, without sending into
    /// it. With <paramref name="greeting"/>, the connection sends nothing until the hello is answered. The first time, a
    /// server that has not answered within <see cref="ClientOptions.HelloTimeout"/> is a plain one: the connection
    /// carries on in plain mode, unless another connection to the same address (<paramref name="server"/>) was
    /// answered: that address acknowledges, its silence is load, not a plain server. A server that answered before
    /// is waited for as long as the connection lives (it may not be reading: a full disk): leaving the connection
    /// for a new one would leave a hello behind that the server could still read.
    /// </summary>
    /// <remarks>
    /// Once the hello is settled, a plain socket on Linux is handed (with any partial line) to the scheduler thread
    /// that owns the connection, which reads it in its epoll set from then on, and this task ends: its state and
    /// buffer live only as long as the hello (docs/performance.md, the client's memory). A TLS socket, or one whose
    /// hello went unanswered (its read is still pending), keeps its watcher for its whole life.
    /// </remarks>
    private async Task WatchAsync(ClientConnection connection, int server, Socket socket, Stream? tls, int generation, bool greeting)
    {
        var reader = tls is null ? OwnerOf(connection) : null;
        if (!greeting && reader?.TryHandOver(connection, generation, []) == true)
        {
            return; // nothing to wait for: the scheduler thread reads from the start
        }

        var buffer = new byte[ServerLines.MaxPartial];
        var length = 0;
        var helloDeadline = greeting && connection.Mode == ServerMode.Unknown ? Stopwatch.GetTimestamp() + (long)(_options.HelloTimeout.TotalSeconds * Stopwatch.Frequency) : long.MaxValue;
        try
        {
            while (true)
            {
                int read;
                if (helloDeadline == long.MaxValue)
                {
                    // Once the hello is settled, awaited as it is: no Task per read (one per ACK and connection).
                    read = await ReceiveAsync(socket, tls, buffer.AsMemory(length)).ConfigureAwait(false);
                }
                else
                {
                    var receive = ReceiveAsync(socket, tls, buffer.AsMemory(length)).AsTask();

                    // Until the hello is answered (a partial line is no answer): a plain server says nothing.
                    var left = TimeSpan.FromSeconds(Math.Max(0, helloDeadline - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency);
                    if (await Task.WhenAny(receive, Task.Delay(left)).ConfigureAwait(false) != receive)
                    {
                        helloDeadline = long.MaxValue;

                        // An address that answered other connections acknowledges: this hello's answer is on its way.
                        if (Volatile.Read(ref _acknowledges[server]) == 0 && connection.NotePlainMode())
                        {
                            NotePlainServer();
                        }

                        if (connection.Mode == ServerMode.Plain)
                        {
                            connection.Greeted(generation); // a plain server: send without an answer
                        }

                        // (Acknowledged through an earlier socket's late answer: this one still waits for its own.)
                    }

                    read = await receive.ConfigureAwait(false);
                }

                if (read == 0)
                {
                    break;
                }

                length = ServerLines.Read(connection, generation, buffer.AsSpan(0, length + read));
                if (connection.Mode != ServerMode.Unknown)
                {
                    helloDeadline = long.MaxValue;
                    if (connection.Mode == ServerMode.Acknowledged && _acknowledges[server] == 0)
                    {
                        Volatile.Write(ref _acknowledges[server], 1);
                    }
                }

                // Answered, and no read pending: the scheduler thread reads the rest.
                if (connection.IsUp(generation) && reader?.TryHandOver(connection, generation, buffer.AsSpan(0, length)) == true)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            // closed by us, or reset by the server
        }

        connection.NotePeerClosed(generation);
    }

    private static ValueTask<int> ReceiveAsync(Socket socket, Stream? tls, Memory<byte> into) =>
        tls is null ? socket.ReceiveAsync(into, SocketFlags.None) : tls.ReadAsync(into);

    /// <summary>The scheduler thread that sends on <paramref name="connection"/> (thread t owns every i ≡ t mod T).</summary>
    private SendScheduler OwnerOf(ClientConnection connection) => _schedulers[connection.Index % _schedulers.Length];

    private void NotePlainServer()
    {
        if (Interlocked.Exchange(ref _plainServerLogged, 1) == 0)
        {
            ClientLog.PlainServer(_logger, _options.Server, _options.HelloTimeout.TotalSeconds);
        }
    }
}
