using System.Diagnostics;
using System.Net.Sockets;
using Horodate.Client.Logging;

namespace Horodate.Client.Load;

public sealed partial class LoadClient
{
    /// <summary>
    /// Reads what the server sends a TLS socket (or a plain one where the scheduler threads do not read: not Linux on
    /// x86-64): nothing from a plain server, <c>OK</c> and <c>ACK v</c> lines from one in acknowledged mode; notices
    /// when the server closes the socket, without sending into it. While the connection greets, it sends nothing until
    /// the hello is answered; with a <paramref name="helloDeadline"/> (the first time), a hello still unanswered then
    /// is told to <see cref="NoteHelloUnanswered"/>. A server that answered before is waited for as long as the
    /// connection lives (it may not be reading: a full disk): leaving the connection for a new one would leave a
    /// hello behind that the server could still read.
    /// </summary>
    /// <remarks>
    /// On Linux a plain socket is read by the scheduler thread that owns the connection, its hello too
    /// (<see cref="SendScheduler.HelloAnswered"/>, <see cref="SendScheduler.HelloUnanswered"/>): this watcher runs for
    /// one only if that thread has ended (a stop), and hands the socket over once its hello is settled.
    /// </remarks>
    private async Task WatchAsync(ClientConnection connection, Socket socket, Stream? tls, int generation, long helloDeadline)
    {
        var reader = tls is null ? OwnerOf(connection) : null;
        if (connection.State != ConnectionState.Greeting && reader?.TryHandOver(connection, generation, []) == true)
        {
            return; // nothing to wait for: the scheduler thread reads from the start
        }

        var buffer = new byte[ServerLines.MaxPartial];
        var length = 0;
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
                        NoteHelloUnanswered(connection, generation);
                    }

                    read = await receive.ConfigureAwait(false);
                }

                if (read == 0)
                {
                    break;
                }

                var greeting = connection.State == ConnectionState.Greeting;
                length = ServerLines.Read(connection, generation, buffer.AsSpan(0, length + read));
                if (connection.Mode != ServerMode.Unknown)
                {
                    helloDeadline = long.MaxValue;
                    if (greeting && connection.Mode == ServerMode.Acknowledged)
                    {
                        NoteHelloAnswered(connection);
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

    /// <summary>
    /// When the hello waits for its answer: the first time, until <see cref="ClientOptions.HelloTimeout"/> from now (a
    /// Stopwatch timestamp); a connection whose server answered before waits as long as it lives (<see cref="long.MaxValue"/>).
    /// </summary>
    private long HelloDeadline(ClientConnection connection, bool greeting) =>
        greeting && connection.Mode == ServerMode.Unknown
            ? Stopwatch.GetTimestamp() + (long)(_options.HelloTimeout.TotalSeconds * Stopwatch.Frequency)
            : long.MaxValue;

    /// <summary>The server answered <paramref name="connection"/>'s hello (its watcher, or its scheduler thread, read it): its address acknowledges.</summary>
    private void NoteHelloAnswered(ClientConnection connection)
    {
        if (Volatile.Read(ref _acknowledges[connection.Server]) == 0)
        {
            Volatile.Write(ref _acknowledges[connection.Server], 1);
        }
    }

    /// <summary>
    /// Socket <paramref name="generation"/>'s first hello had no answer by its deadline. An address that answered other
    /// connections acknowledges: this hello's answer is on its way, the connection goes on waiting for it. Otherwise
    /// the server is a plain one: the connection sends without an answer.
    /// </summary>
    private void NoteHelloUnanswered(ClientConnection connection, int generation)
    {
        if (Volatile.Read(ref _acknowledges[connection.Server]) == 0 && connection.NotePlainMode())
        {
            NotePlainServer();
        }

        if (connection.Mode == ServerMode.Plain)
        {
            connection.Greeted(generation); // a plain server: send without an answer
        }

        // (Acknowledged through an earlier socket's late answer: this one still waits for its own.)
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
