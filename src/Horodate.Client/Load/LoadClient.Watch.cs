using System.Diagnostics;
using System.Net.Sockets;
using Horodate.Client.Logging;
using Horodate.Core.Protocol;

namespace Horodate.Client.Load;

public sealed partial class LoadClient
{
    /// <summary>
    /// Reads what the server sends: nothing from a plain server, <c>OK</c> and <c>ACK v</c> lines from one in
    /// acknowledged mode; notices when the server closes the socket, without sending into it. With
    /// <paramref name="greeting"/>, the connection sends nothing until the hello is answered. The first time, a
    /// server that has not answered within <see cref="ClientOptions.HelloTimeout"/> is a plain one: the connection
    /// carries on in plain mode, unless another connection to the same address (<paramref name="server"/>) was
    /// answered: that address acknowledges, its silence is load, not a plain server. A server that answered before
    /// is waited for as long as the connection lives (it may not be reading: a full disk): leaving the connection
    /// for a new one would leave a hello behind that the server could still read.
    /// </summary>
    private async Task WatchAsync(ClientConnection connection, int server, Socket socket, Stream? tls, int generation, bool greeting)
    {
        // Lives as long as the connection, n of them: a few lines' room (docs/performance.md, the client's memory).
        var buffer = new byte[WatchBufferBytes];
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

                length += read;
                length = ReadServerLines(connection, generation, buffer, length);
                if (connection.Mode != ServerMode.Unknown)
                {
                    helloDeadline = long.MaxValue;
                    if (connection.Mode == ServerMode.Acknowledged && _acknowledges[server] == 0)
                    {
                        Volatile.Write(ref _acknowledges[server], 1);
                    }
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

    /// <summary>
    /// The watcher's read buffer: two of the longest lines the server sends (the hello's answer and
    /// <c>ACK v</c> lines), rounded up; a read that fills it is handled line by line and the rest read again.
    /// </summary>
    private const int WatchBufferBytes = 64;

    /// <summary>Handles every complete line; returns the length of the partial line moved to the front.</summary>
    private static int ReadServerLines(ClientConnection connection, int generation, byte[] buffer, int length)
    {
        var start = 0;
        int newline;
        while ((newline = buffer.AsSpan(start, length - start).IndexOf((byte)'\n')) >= 0)
        {
            if (Handshake.TryParseServerLine(buffer.AsSpan(start, newline), out var ack, out var ok))
            {
                connection.NoteAckMode();
                connection.Greeted(generation);
                if (!ok)
                {
                    connection.NoteAck(ack);
                }
            }

            start += newline + 1;
        }

        var rest = length - start;
        if (rest == buffer.Length)
        {
            rest = 0; // a line longer than any the protocol has: drop it
        }

        Buffer.BlockCopy(buffer, start, buffer, 0, rest);
        return rest;
    }

    private void NotePlainServer()
    {
        if (Interlocked.Exchange(ref _plainServerLogged, 1) == 0)
        {
            ClientLog.PlainServer(_logger, _options.Server, _options.HelloTimeout.TotalSeconds);
        }
    }
}
