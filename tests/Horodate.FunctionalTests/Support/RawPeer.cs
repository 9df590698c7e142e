using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Horodate.FunctionalTests.Support;

/// <summary>A bare TCP peer: sends exactly the bytes it is given, and can tell whether the server closed on it.</summary>
internal sealed class RawPeer : IAsyncDisposable
{
    private readonly Socket _socket;

    private RawPeer(Socket socket) => _socket = socket;

    public static async Task<RawPeer> ConnectAsync(IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endpoint, TestContext.Current.CancellationToken).AsTask().WaitAsync(Within.Short, TestContext.Current.CancellationToken);
        return new RawPeer(socket);
    }

    /// <summary>
    /// Connects, sends <paramref name="text"/>, and waits for the server to close: what a refused peer sees. The
    /// refusal may reset the connection at any step, even before <c>connect()</c> returns; all of those count.
    /// </summary>
    public static async Task ExpectRefusedAsync(IPEndPoint endpoint, string text)
    {
        try
        {
            await using var peer = await ConnectAsync(endpoint);
            await peer.SendAsync(text);
            await peer.ReadUntilClosedAsync(Within.Short);
        }
        catch (SocketException)
        {
            // reset: refused just as well
        }
    }

    public Task SendAsync(string text) => SendAsync(Encoding.ASCII.GetBytes(text));

    public async Task SendAsync(byte[] bytes)
    {
        await _socket.SendAsync(bytes, SocketFlags.None).WaitAsync(Within.Short, TestContext.Current.CancellationToken);
    }

    /// <summary>Half-closes: the server sees the end of the stream after every byte sent.</summary>
    public void Finish() => _socket.Shutdown(SocketShutdown.Send);

    /// <summary>Reads until the server closes; returns the bytes it sent before (a plain server sends none).</summary>
    public async Task<int> ReadUntilClosedAsync(TimeSpan timeout) => (await ReadTextUntilClosedAsync(timeout)).Length;

    /// <summary>Reads until the server closes; returns what it sent before, as ASCII.</summary>
    public async Task<string> ReadTextUntilClosedAsync(TimeSpan timeout)
    {
        var buffer = new byte[4096];
        var text = new StringBuilder();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            int read;
            while ((read = await _socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token)) > 0)
            {
                text.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
        }
        catch (SocketException)
        {
            // a reset counts as closed
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The server did not close the connection within {timeout}.");
        }

        return text.ToString();
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
