using System.Net;
using System.Net.Sockets;
using System.Text;
using Horodate.FunctionalTests.Support;
using Horodate.Server.Transport.Epoll;

namespace Horodate.FunctionalTests;

/// <summary>
/// Issue 10 defect 7, on a real socket: the epoll transport's non-blocking acknowledgements against a client
/// that does not read. A full socket buffer refuses an acknowledgement (it is offered again later) and never
/// leaves half an <c>ACK</c> line on the wire.
/// </summary>
public sealed class AckDeliveryTests
{
    [Fact]
    public async Task Acknowledgements_to_a_client_that_does_not_read_are_refused_whole_and_finished_before_the_next()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await client.ConnectAsync(listener.LocalEndPoint!, TestContext.Current.CancellationToken).AsTask().WaitAsync(Within.Short, TestContext.Current.CancellationToken);
        using var accepted = await listener.AcceptAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Within.Short, TestContext.Current.CancellationToken);
        accepted.Blocking = false;
        accepted.SendBufferSize = 4096;
        var connection = new SocketAckWriter((int)accepted.Handle); // the test closes the socket, not the writer

        // Offer ever higher acknowledgements until the socket refuses one: the client reads nothing.
        connection.SendOk();
        long value = 1_700_000_000_000, refusedAt = -1;
        for (var i = 0; i < 1_000_000 && refusedAt < 0; i++, value++)
        {
            if (!connection.TryDeliver(value))
            {
                refusedAt = value;
            }
        }

        Assert.True(refusedAt > 0, "the socket never filled up");

        // The client reads again; a later offer first finishes what the socket took only in part.
        var received = new StringBuilder();
        var buffer = new byte[65536];
        var last = refusedAt + 10;
        var delivered = false;
        var deadline = DateTime.UtcNow + Within.Short;
        while (!received.ToString().EndsWith($"ACK {last}\n", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "the last acknowledgement never arrived");
            while (client.Available > 0)
            {
                received.Append(Encoding.ASCII.GetString(buffer, 0, client.Receive(buffer)));
            }

            delivered |= connection.TryDeliver(last);
            await Task.Delay(1, TestContext.Current.CancellationToken);
        }

        Assert.True(delivered);
        var lines = received.ToString().Split('\n');
        Assert.Equal("OK horodate/1 ack", lines[0]);
        Assert.Equal("", lines[^1]);
        var acks = lines[1..^1].Select(line => long.Parse(line.StartsWith("ACK ", StringComparison.Ordinal) ? line[4..] : throw new Xunit.Sdk.XunitException($"torn line \"{line}\""), System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(acks.Order(), acks);
        Assert.Equal(last, acks[^1]);
    }
}
