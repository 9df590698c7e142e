using System.Net;
using System.Net.Sockets;
using Horodate.FunctionalTests.Support;
using Horodate.Server.Hosting;
using Horodate.Server.Transport.Epoll;

namespace Horodate.FunctionalTests;

/// <summary>
/// The epoll transport's raw accepts: connections taken with <c>accept4</c> on the receive thread, with no runtime
/// socket per connection, so what a runtime socket did for each (keepalive, closing only once nobody sends) must hold
/// by other means.
/// </summary>
public sealed class EpollAcceptTests
{
    [Fact]
    public async Task A_connection_accepted_from_the_transports_listener_has_keepalive_on_with_its_times_without_a_call_of_its_own()
    {
        using var listener = EpollTransport.Listen(new IPEndPoint(IPAddress.Loopback, 0));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!, TestContext.Current.CancellationToken).AsTask().WaitAsync(Within.Short, TestContext.Current.CancellationToken);
        using var accepted = await listener.AcceptAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Within.Short, TestContext.Current.CancellationToken);

        // Read back from the accepted socket itself: Linux copied the listener's options to it.
        Assert.Equal(1, (int)accepted.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)!);
        Assert.Equal(60, (int)accepted.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime)!);
        Assert.Equal(10, (int)accepted.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval)!);
        Assert.Equal(3, (int)accepted.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount)!);
    }

    [Fact]
    public async Task An_acknowledgement_offered_after_the_writer_closed_its_descriptor_is_refused_and_the_client_sees_the_end_of_the_stream()
    {
        using var listener = EpollTransport.Listen(new IPEndPoint(IPAddress.Loopback, 0));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!, TestContext.Current.CancellationToken).AsTask().WaitAsync(Within.Short, TestContext.Current.CancellationToken);
        var accepted = await listener.AcceptAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Within.Short, TestContext.Current.CancellationToken);
        var fd = (int)accepted.SafeHandle.DangerousGetHandle();
        accepted.SafeHandle.SetHandleAsInvalid(); // the writer owns the descriptor from now on, as in the transport
        var writer = new SocketAckWriter(fd);
        Assert.True(writer.TryDeliver(1_700_000_000_000));

        writer.Close();
        writer.Close(); // once only: a second close must not close a number a newer connection may hold

        Assert.False(writer.TryDeliver(1_700_000_000_001));
        Assert.True(writer.TryDeliverFinal(1_700_000_000_002)); // nothing left to tell a closed connection

        // The client got its one acknowledgement, then the end of the stream (the close).
        var received = new List<byte>();
        var buffer = new byte[64];
        int read;
        while ((read = await client.ReceiveAsync(buffer, TestContext.Current.CancellationToken).AsTask().WaitAsync(Within.Short, TestContext.Current.CancellationToken)) > 0)
        {
            received.AddRange(buffer.AsSpan(0, read));
        }

        Assert.Equal("ACK 1700000000000\n", System.Text.Encoding.ASCII.GetString(received.ToArray()));
    }

    [Fact]
    public async Task Two_stops_at_once_are_one_stop_that_both_callers_await_and_the_port_then_refuses_connections()
    {
        using var dir = new TempDirectory();
        await using var harness = await ServerHarness.StartAsync(dir, o => o with { Transport = TransportKind.Epoll });
        var transport = (EpollTransport)harness.Server.TransportInstance;
        var endpoint = transport.Endpoints[0];

        var first = transport.StopAsync();
        var second = transport.StopAsync(); // while the first still shuts its listeners: must not shut them again
        Assert.Same(first, second);
        await Task.WhenAll(first, second).WaitAsync(Within.Short, TestContext.Current.CancellationToken);

        using var late = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var refused = await Assert.ThrowsAsync<SocketException>(
            () => late.ConnectAsync(endpoint, TestContext.Current.CancellationToken).AsTask().WaitAsync(Within.Short, TestContext.Current.CancellationToken));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }
}
