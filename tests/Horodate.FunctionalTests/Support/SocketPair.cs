using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Horodate.FunctionalTests.Support;

/// <summary>A non-blocking client socket and the accepted end, with small buffers so that they fill fast.</summary>
internal sealed class SocketPair : IDisposable
{
    private SocketPair(Socket client, Socket server)
    {
        Client = client;
        Server = server;
    }

    public Socket Client { get; }

    public Socket Server { get; }

    public static async Task<SocketPair> OpenAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, SendBufferSize = 4096 };
        await client.ConnectAsync(listener.LocalEndPoint!, TestContext.Current.CancellationToken).AsTask().WaitAsync(Within.Short, TestContext.Current.CancellationToken);
        var server = await listener.AcceptAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Within.Short, TestContext.Current.CancellationToken);
        server.ReceiveBufferSize = 4096;
        client.Blocking = false;
        return new SocketPair(client, server);
    }

    /// <summary>Reads until the client's FIN.</summary>
    public async Task ReadAllAsync(StringBuilder into)
    {
        var buffer = new byte[4096];
        int read;
        while ((read = await Server.ReceiveAsync(buffer, SocketFlags.None)) > 0)
        {
            lock (into)
            {
                into.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
        }
    }

    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
    }
}
