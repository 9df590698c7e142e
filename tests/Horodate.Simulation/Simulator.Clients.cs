using Horodate.Client.Load;
using Horodate.Core.Protocol;

namespace Horodate.Simulation;

/// <content>
/// The acknowledged clients: the production <see cref="ClientConnection"/>, driven as horodate-client's scheduler and
/// watcher drive it, over the simulated sockets (<see cref="SimConnection"/>): a bounded send buffer that fills (part
/// of a line, would-block) and the server's lines read by the client at instants of their own, so that an
/// acknowledgement can land in the middle of a resend.
/// </content>
internal sealed partial class Simulator
{
    // The production clients' sockets, drawn per schedule from their own stream (the faults' draws stay what their
    // seeds always gave).
    private readonly SimRandom _wireRandom;
    private readonly int _sendBufferBytes;
    private readonly int _partialPerMille;
    private int _writeEagainPerMille;
    private int _readPerMille;

    /// <summary>
    /// A send buffer of a few lines to a few hundred (a line is 14 bytes): far below what a resend after a crash or a
    /// dropped connection holds, so resends take several turns, as a real socket's 200 KiB do for a backlog of tens of
    /// thousands of values; in a quarter of the schedules one that never fills.
    /// </summary>
    /// <summary>
    /// The longest a line from the server waits to be read: 200 ms at real scale, a loaded client's watcher (its thread
    /// pool, or its send thread's turn); well within the idle timeout, which a client waiting for the answer to its hello
    /// must not outlast (it would be taken for idle and its first values could be late).
    /// </summary>
    private const long MaxReadDelayMs = 20;

    /// <summary>
    /// How long a finished client waits for its final acknowledgement (its --ack-wait, 3 s scaled) in a quarter of the
    /// schedules, drawn from a stream of its own; in the others it waits to the end, which must bring it.
    /// </summary>
    private readonly long _ackWaitMs;

    /// <summary>Finished clients that gave up waiting for their final acknowledgement.</summary>
    public int GaveUp { get; private set; }

    /// <summary>Acknowledgements the clients read in the middle of a resend (part of it out, not all): what the search must reach.</summary>
    public int MidResendAcks { get; private set; }

    private static int DrawSendBuffer(SimRandom random) => random.Next(4) switch
    {
        0 => 1 << 16,
        1 => 14 + random.Next(57), // 1 to 5 lines
        _ => 70 + random.Next(281), // 5 to 25 lines
    };

    /// <summary>
    /// One step of an acknowledged client's side: it reads what the server sent (some of it, when its watcher gets to
    /// run), notices a closed connection, and on its turn sends, as the scheduler does: the rest of a line, the resends,
    /// then a new value (or none once finished: then it half-closes when all is out).
    /// </summary>
    private void DriveProduction(SimClient client, bool sending)
    {
        var production = client.Production!;
        ReadServerLines(client);
        TimeOutHello(client);
        if (production.State != ConnectionState.Down && production.PeerClosed)
        {
            Lose(client, "the server closed the connection");
        }

        // Finished, it sends what it owes even while its hello waits for its answer, as horodate-client's stop does.
        var turn = production.State == ConnectionState.Up || (client.Finished && production.State == ConnectionState.Greeting);
        if (client.FinalReceived || client.Attached is not { } connection || !turn
            || _clock.MonoMs < client.NextSendMs || connection.ClientShutdown || !(sending || client.Finished))
        {
            return;
        }

        client.NextSendMs = _clock.MonoMs + client.PeriodMs;
        var handed = client.Sent.Count;

        // Its clock: slewed, never back, until its own clock steps (Simulator.ClientClocks.cs). Finished: nothing new,
        // what it owes goes out through the stop's own call (SendScheduler's SendOwed), turn after turn as the stop does
        // until its --ack-wait is up.
        var result = client.Finished
            ? production.SendOwed(acknowledged: true, client.Tally)
            : production.SendNext(ClientClock(client), acknowledged: true, client.Tally);
        for (var i = handed; i < client.Sent.Count; i++)
        {
            if (client.Sent[i] < _resumeLast) // a copy of the file's last value is a duplicate, or follows it (keep-duplicates)
            {
                _ = _lateByRule.Add(client.Sent[i]);
            }
        }

        if (result == SendResult.Broken)
        {
            Lose(client, $"send failed: {production.Error}");
        }
        else if (client.Finished && result == SendResult.Sent)
        {
            // All out (no part of a line, no resend left): it half-closes, as HalfCloseAsync does on a socket.
            connection.ClientShutdown = true;
            if (connection.MidLine)
            {
                client.Misbehaved ??= "it half-closed in the middle of a line";
            }
        }
    }

    /// <summary>
    /// The client reads what the server sent on its connection, as its scheduler thread's epoll reads do: some bytes now,
    /// the rest later (a line can end in the next read, TCP cuts the stream anywhere), none later than
    /// <see cref="MaxReadDelayMs"/>; each read goes, after the partial line the last one ended with, through the client's
    /// own parser (<see cref="ServerLines.Read"/>), which notes the hello's answer and the acknowledgements.
    /// </summary>
    private void ReadServerLines(SimClient client)
    {
        if (client.Attached is not { ToClient.Count: > 0 } connection)
        {
            return;
        }

        var overdue = _clock.MonoMs - connection.ToClient.Peek().SentMs >= MaxReadDelayMs;
        if (!overdue && !_wireRandom.Chance(_readPerMille))
        {
            return;
        }

        var production = client.Production!;
        var (bytes, closed, final) = connection.ReceiveFromServer(overdue ? int.MaxValue : 1 + _wireRandom.Next(2 * Handshake.MaxAckLineBytes));
        var acked = production.AckedThrough;
        if (bytes > 0)
        {
            connection.Carried = ServerLines.Read(production, connection.Generation, connection.ReadBuffer.AsSpan(0, bytes));
            client.AddressAnswered |= production.Mode == ServerMode.Acknowledged;
        }

        if (production.AckedThrough > acked && connection.MidResend)
        {
            MidResendAcks++;
        }

        if (final && connection.Carried == 0)
        {
            FinalReceived(client);
        }
        else if (closed)
        {
            production.NotePeerClosed(connection.Generation);
        }
    }

    /// <summary>
    /// The final acknowledgement came (and the end): the client settles, as horodate-client does at the end of a run.
    /// Every value its socket saw must be acknowledged, and its own count must say so.
    /// </summary>
    private void FinalReceived(SimClient client)
    {
        var production = client.Production!;
        client.FinalReceived = true;
        var left = production.SettleAcks();
        var unacked = client.Unacked;
        if (!unacked.IsEmpty)
        {
            client.UncoveredByFinal ??= unacked[0];
        }
        else if (left != 0 || production.Acked + production.DroppedUnacked != client.Sent.Count)
        {
            client.Misbehaved ??= $"its final acknowledgement covers the {client.Sent.Count} values its sockets saw, but it counts {production.Acked} acknowledged, {left} not";
        }

        production.TakeDown();
        client.Attached = null;
        Note($"{client.Id} had its final acknowledgement; acked {client.AckedThrough - SimClock.Epoch}");
    }

    /// <summary>
    /// A finished client whose final acknowledgement did not come within its --ack-wait (the server down, slow, or its
    /// resends still going out) gives up, as horodate-client's stop does: it settles (what was acknowledged is forgotten,
    /// the rest counted unacknowledged), closes its socket and is gone. Its count must agree with its sockets; what it
    /// was told is acknowledged must still be stored (the checks).
    /// </summary>
    private void GiveUpIfWaitedTooLong(SimClient client)
    {
        if (!client.Finished || client.FinalReceived || client.Gone || _clock.MonoMs - client.FinishedAtMs < _ackWaitMs)
        {
            return;
        }

        var production = client.Production!;
        var left = production.SettleAcks();
        if (production.Mode != ServerMode.Plain
            && (left != client.Unacked.Length || production.Acked + left + production.DroppedUnacked != client.Sent.Count))
        {
            client.Misbehaved ??= $"it gave up with {client.Unacked.Length} of the {client.Sent.Count} values its sockets saw unacknowledged, but counts {production.Acked} acknowledged, {left} not";
        }

        GaveUp++;
        production.TakeDown();
        client.Attached = null;
        if (client.Connection is { } connection)
        {
            Disconnect(connection, closeSource: true); // its close: what the server had not read yet is not acknowledged
        }

        client.Gone = true;
        Note($"{client.Id} gave up waiting after {_clock.MonoMs - client.FinishedAtMs} ms; acked {client.AckedThrough - SimClock.Epoch}, unacked {left}");
    }

    /// <summary>The client takes its connection down (a failed send, or the close noticed) and reconnects after its backoff.</summary>
    private void Lose(SimClient client, string why)
    {
        client.Production!.TakeDown();
        if (client.Connection == client.Attached)
        {
            client.Connection = null;
        }

        client.Attached = null;
        client.ReconnectAtMs = _clock.MonoMs + Backoff(client, _wireRandom);
        Note($"{client.Id} took its connection down: {why}");
    }

    /// <summary>An acknowledged client's connection opened: the production connection comes up on it, greeting.</summary>
    private void BringUp(SimClient client, SimConnection connection)
    {
        AnswerHello(client, connection); // once the server opened the connection's source, before any acknowledgement
        var unacked = client.Unacked;
        connection.ResendThrough = unacked.IsEmpty ? long.MinValue : unacked[^1];
        connection.Generation = client.Production!.BringUpOn(connection, greeting: client.Production.Mode != ServerMode.Plain);
        client.Attached = connection;
    }
}
