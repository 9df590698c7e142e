using System.Net.Sockets;
using Horodate.Client.Logging;
using Horodate.Core.Protocol;

namespace Horodate.Client.Load;

public sealed partial class LoadClient
{
    /// <summary>
    /// Reads what the server sends: nothing from a plain server, <c>OK</c> and <c>ACK v</c> lines from one in
    /// acknowledged mode; notices when the server closes the socket, without sending into it. With
    /// <paramref name="greeting"/>, the connection waits for the hello's answer before it sends: a first hello
    /// that gets none within <see cref="ClientOptions.HelloTimeout"/> means a plain server (the connection
    /// carries on in plain mode); on a reconnect to a server that answered before, it means a server that is
    /// not reading (the connection is taken down and tried again).
    /// </summary>
    private async Task WatchAsync(ClientConnection connection, Socket socket, Stream? tls, int generation, bool greeting)
    {
        var buffer = new byte[256];
        var length = 0;
        var unanswered = false;
        try
        {
            while (true)
            {
                var receive = tls is null
                    ? socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None).AsTask()
                    : tls.ReadAsync(buffer.AsMemory(length)).AsTask();
                if (greeting)
                {
                    greeting = false;
                    if (await Task.WhenAny(receive, Task.Delay(_options.HelloTimeout)).ConfigureAwait(false) != receive)
                    {
                        if (connection.NotePlainMode())
                        {
                            NotePlainServer();
                        }

                        if (connection.Mode == ServerMode.Plain)
                        {
                            connection.Greeted();
                        }
                        else
                        {
                            unanswered = true;
                            connection.NotePeerClosed(generation, $"the server did not answer the hello within {_options.HelloTimeout.TotalSeconds:0.#} s");
                        }
                    }
                }

                var read = await receive.ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                length += read;
                length = ReadServerLines(connection, buffer, length);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            // closed by us, or reset by the server
        }

        if (!unanswered)
        {
            connection.NotePeerClosed(generation);
        }
    }

    /// <summary>Handles every complete line; returns the length of the partial line moved to the front.</summary>
    private static int ReadServerLines(ClientConnection connection, byte[] buffer, int length)
    {
        var start = 0;
        int newline;
        while ((newline = buffer.AsSpan(start, length - start).IndexOf((byte)'\n')) >= 0)
        {
            if (Handshake.TryParseServerLine(buffer.AsSpan(start, newline), out var ack, out var ok))
            {
                connection.NoteAckMode();
                connection.Greeted();
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
