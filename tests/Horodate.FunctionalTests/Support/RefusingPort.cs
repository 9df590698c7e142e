using System.Net;
using System.Net.Sockets;

namespace Horodate.FunctionalTests.Support;

/// <summary>
/// A loopback port where nothing listens, held for the test: a socket bound to port 0 that never listens, so the
/// kernel answers every connection with a reset ("connection refused") and no other process can bind the port
/// meanwhile. Binding a port, noting it and releasing it would race with whatever binds it next.
/// </summary>
internal sealed class RefusingPort : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public RefusingPort()
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Endpoint = $"127.0.0.1:{((IPEndPoint)_socket.LocalEndPoint!).Port}";
    }

    /// <summary>The port, as <c>host:port</c>.</summary>
    public string Endpoint { get; }

    public void Dispose() => _socket.Dispose();
}
