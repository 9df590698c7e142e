using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Horodate.Client.Load;
using Horodate.FunctionalTests.Support;

namespace Horodate.FunctionalTests;

/// <summary>One client connection over a real loopback socket whose peer stops reading, then reads.</summary>
public sealed class ClientConnectionTests
{
    private const long FirstValue = 1_700_000_000_000;

    [Fact]
    public async Task A_full_socket_skips_values_and_every_value_sent_arrives_whole_and_once()
    {
        using var pair = await SocketPair.OpenAsync();
        var connection = new ClientConnection(0, 0, unackedLimit: 1 << 16);
        var tally = new SendTally();
        connection.BringUp(pair.Client, tls: null);

        // The peer does not read: the socket fills, values are skipped (counted), none is cut.
        var value = FirstValue;
        while (tally.SkippedBusy == 0)
        {
            Assert.NotEqual(SendResult.Broken, connection.SendNext(value++, acknowledged: false, tally));
        }

        // The peer reads again: the rest of any cut line goes first, then new values.
        var received = new StringBuilder();
        var reading = pair.ReadAllAsync(received);
        Assert.True(await Within.PollAsync(() => connection.SendNext(value++, acknowledged: false, tally) == SendResult.Sent, Within.Short));
        connection.Close();
        await reading.WaitAsync(Within.Short, TestContext.Current.CancellationToken);

        var lines = received.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => long.Parse(l, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(tally.Sent, lines.Length);
        Assert.Equal(lines.Order().Distinct(), lines); // whole lines, increasing, none twice
        Assert.Equal(0, tally.Resent);
    }

    [Fact]
    public async Task After_a_reconnect_the_unacknowledged_values_go_out_again_first_and_are_counted_as_resent()
    {
        var connection = new ClientConnection(0, 0, unackedLimit: 16);
        var tally = new SendTally();
        using (var first = await SocketPair.OpenAsync())
        {
            connection.BringUp(first.Client, tls: null);
            for (var i = 0; i < 3; i++)
            {
                Assert.Equal(SendResult.Sent, connection.SendNext(FirstValue + i, acknowledged: true, tally));
            }

            connection.NoteAck(FirstValue); // the first is stored; the other two are not
            connection.TakeDown();
        }

        using var second = await SocketPair.OpenAsync();
        connection.BringUp(second.Client, tls: null);
        Assert.Equal(SendResult.Sent, connection.SendNext(FirstValue + 3, acknowledged: true, tally));
        connection.Close();
        var received = new StringBuilder();
        await second.ReadAllAsync(received).WaitAsync(Within.Short, TestContext.Current.CancellationToken);

        Assert.Equal($"{FirstValue + 1}\n{FirstValue + 2}\n{FirstValue + 3}\n", received.ToString());
        Assert.Equal(2, tally.Resent);
        Assert.Equal(4, tally.Sent);
        Assert.Equal(1, connection.Acked);
        Assert.Equal(3, connection.SettleAcks()); // only the first was acknowledged: + 1, + 2 (resent) and + 3 are kept
    }

    [Fact]
    public async Task An_acknowledgement_arriving_in_the_middle_of_a_resend_skips_none_of_the_values_still_unacknowledged()
    {
        var connection = new ClientConnection(0, 0, unackedLimit: 1 << 20);
        var tally = new SendTally();
        var value = FirstValue;
        var keptOnFirst = new List<long>();
        using (var first = await SocketPair.OpenAsync())
        {
            connection.BringUp(first.Client, tls: null);
            var received = new StringBuilder();
            var reading = first.ReadAllAsync(received);
            while (keptOnFirst.Count < 2_000)
            {
                var result = connection.SendNext(value, acknowledged: true, tally);
                Assert.NotEqual(SendResult.Broken, result);
                if (result == SendResult.Sent)
                {
                    keptOnFirst.Add(value);
                }

                value++;
            }

            connection.TakeDown(); // the server went away before acknowledging anything
        }

        using var second = await SocketPair.OpenAsync();
        connection.BringUp(second.Client, tls: null);
        try
        {
            // The new server does not read yet: the resend fills the socket and stops part-way.
            Assert.Equal(SendResult.NotSent, connection.SendNext(value++, acknowledged: true, tally));
            Assert.InRange(tally.Resent, 2, keptOnFirst.Count - 500);

            // An ACK comes for half of what was resent so far (the new server stored what it read of the resend).
            var ackedThrough = keptOnFirst[(int)tally.Resent / 2];
            connection.NoteAck(ackedThrough);

            var secondReceived = new StringBuilder();
            var secondReading = second.ReadAllAsync(secondReceived);
            Assert.True(await Within.PollAsync(() => connection.SendNext(value++, acknowledged: true, tally) == SendResult.Sent, Within.Short));
            connection.Close();
            await secondReading.WaitAsync(Within.Short, TestContext.Current.CancellationToken);

            var onSecond = secondReceived.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => long.Parse(l, CultureInfo.InvariantCulture)).ToHashSet();
            var neverResent = keptOnFirst.Where(v => v > ackedThrough && !onSecond.Contains(v)).ToList();
            Assert.Empty(neverResent); // each would be counted acknowledged by the next ACK, and be in no file
        }
        finally
        {
            connection.Close(); // lets the socket go (the connection holds a reference on it)
        }
    }

    [Fact]
    public async Task A_send_to_a_peer_that_reset_the_connection_breaks_it_with_the_reset_named()
    {
        using var pair = await SocketPair.OpenAsync();
        var connection = new ClientConnection(0, 0, unackedLimit: 16);
        var tally = new SendTally();
        connection.BringUp(pair.Client, tls: null);
        Assert.Equal(SendResult.Sent, connection.SendNext(FirstValue, acknowledged: false, tally));

        pair.Server.LingerState = new LingerOption(true, 0);
        pair.Server.Close(); // an RST, at once on loopback

        // The first send after the reset may still be taken (the RST has to come back); one of the next breaks.
        var value = FirstValue + 1;
        Assert.True(await Within.PollAsync(() => connection.SendNext(value++, acknowledged: false, tally) == SendResult.Broken, Within.Short));
        Assert.Contains(connection.Error, new[] { SocketError.ConnectionReset, SocketError.Shutdown });
        Assert.Equal("the server reset the connection", SendScheduler.Describe(SocketError.ConnectionReset));
        connection.TakeDown();
    }

    [Fact]
    public async Task A_connection_taken_down_closes_its_socket_and_the_peer_sees_the_end()
    {
        using var pair = await SocketPair.OpenAsync();
        var connection = new ClientConnection(0, 0, unackedLimit: 16);
        var tally = new SendTally();
        connection.BringUp(pair.Client, tls: null);
        Assert.Equal(SendResult.Sent, connection.SendNext(FirstValue, acknowledged: false, tally));

        // No shutdown first: only closing the descriptor sends the FIN, so the reference the sends held must be gone.
        connection.TakeDown();
        var received = new StringBuilder();
        await pair.ReadAllAsync(received).WaitAsync(Within.Short, TestContext.Current.CancellationToken);

        Assert.Equal($"{FirstValue}\n", received.ToString());
        Assert.Equal(ConnectionState.Down, connection.State);
    }
}
