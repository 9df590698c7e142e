using Horodate.Client.Load;
using Horodate.Core.Durability;
using Horodate.Core.Protocol;

namespace Horodate.Simulation;

/// <summary>
/// One connection from a client to one run of the server: values in flight (the client's socket buffer, read by the
/// server), acknowledgements back (<see cref="IAckTarget"/>). For an acknowledged client it is also the production
/// connection's socket (the other part): the server's lines wait in <see cref="ToClient"/> until the client reads them.
/// </summary>
internal sealed partial class SimConnection(SimClient client, int source, SimRandom random, int eagainPerMille) : IAckTarget
{
    public SimClient Client { get; } = client;

    public int Source { get; } = source;

    /// <summary>How often, per mille, an offer meets a full socket buffer.</summary>
    public int EagainPerMille { get; set; } = eagainPerMille;

    /// <summary>Sent, not yet read by the server (the socket buffers): whole lines.</summary>
    public List<long> InFlight { get; } = [];

    /// <summary>Values above this are new on this connection (not resends).</summary>
    public long NewAbove { get; init; } = long.MaxValue;

    /// <summary>
    /// Where the server's engine held the write point for it when it opened: its clock, or the write point if that
    /// was ahead. A new value below it (a client clock behind, or stamped before the server opened the connection)
    /// may be late; the engine promises nothing below it.
    /// </summary>
    public long HoldFrom { get; init; } = long.MinValue;

    /// <summary>
    /// The lowest new value the client can stamp once it may send: an acknowledged client waits for the answer to its
    /// hello, so its clock then reads at least the server's at the opening (plus its skew), unless the clock stepped
    /// back while it waited (<see cref="Simulator"/> lowers it then); a plain one sends at once.
    /// </summary>
    public long StampsFrom { get; set; } = long.MinValue;

    /// <summary>When the server last read values on it, or opened it: the engine's listening clock (stalls not counted).</summary>
    public long HeardAtMs { get; set; }

    /// <summary>
    /// Where the write point was when the server read it again after a silence of the idle timeout (its client's sends
    /// stalled, a partial line a byte at a time): idle, it held nothing, so its values below that are late by the rules.
    /// </summary>
    public long LateBelow { get; set; } = long.MinValue;

    /// <summary>Open on both ends; acknowledgements reach the client.</summary>
    public bool Open { get; set; } = true;

    /// <summary>The server reads it (false once a graceful stop stopped reading).</summary>
    public bool Read { get; set; } = true;

    /// <summary>Half-closed: the server was told that everything was sent (<see cref="IngestCore.FinishSource"/>).</summary>
    public bool HalfClosed { get; set; }

    /// <summary>The final acknowledgement was handed over: the server ends the connection.</summary>
    public bool Ended { get; private set; }

    /// <summary>Acknowledgements the server's offers lost to a full socket buffer.</summary>
    public int Refused { get; private set; }

    /// <summary>The simulated clock, for when the server's lines were sent.</summary>
    public SimClock? Clock { get; init; }

    /// <summary>What the server sent the client and the client has not read yet, in order.</summary>
    public Queue<ServerLine> ToClient { get; } = new();

    public bool TryDeliver(long value)
    {
        if (!Open)
        {
            return false;
        }

        if (random.Chance(EagainPerMille))
        {
            Refused++;
            return false; // EAGAIN: the server must offer it again
        }

        ToClient.Enqueue(new ServerLine(ServerLineKind.Ack, value, Now()));
        return true;
    }

    public bool TryDeliverFinal(long value)
    {
        if (!Open || !HalfClosed)
        {
            return false; // a final acknowledgement for a client that did not half-close: never taken
        }

        if (random.Chance(EagainPerMille))
        {
            Refused++;
            Client.FinalRefused++;
            return false;
        }

        ToClient.Enqueue(new ServerLine(ServerLineKind.Final, value, Now())); // ACK value (none if -1), then the end
        Ended = true;
        return true;
    }

    /// <summary>What the client read and has not parsed: the partial line its last read ended with, then the new bytes.</summary>
    public byte[] ReadBuffer { get; } = new byte[ServerLines.MaxPartial + 1024];

    /// <summary>How many bytes at the front of <see cref="ReadBuffer"/> are a partial line carried from the last read.</summary>
    public int Carried { get; set; }

    // How much of the first line in ToClient the client has read already.
    private int _readOfHead;

    /// <summary>
    /// One read of the client's socket: up to <paramref name="budget"/> bytes of what the server sent, in order, after
    /// the partial line carried (<see cref="ReadBuffer"/>). Returns the bytes there now, whether the server's close
    /// was reached (nothing before it left unread), and whether the final acknowledgement's line was read to its end.
    /// </summary>
    public (int Bytes, bool Closed, bool Final) ReceiveFromServer(int budget)
    {
        Span<byte> line = stackalloc byte[Handshake.MaxAckLineBytes];
        var length = Carried;
        var final = false;
        while (budget > 0 && ToClient.TryPeek(out var head) && head.Kind != ServerLineKind.Closed && head.SentMs <= Now() && length < ReadBuffer.Length)
        {
            var bytes = head.Kind == ServerLineKind.Ok ? Handshake.Ok.Length : head.Value >= 0 ? Handshake.WriteAck(line, head.Value) + 1 : 0;
            if (head.Kind == ServerLineKind.Ok)
            {
                Handshake.Ok.CopyTo(line);
            }
            else if (bytes > 0)
            {
                line[bytes - 1] = (byte)'\n';
            }

            var take = Math.Min(Math.Min(budget, bytes - _readOfHead), ReadBuffer.Length - length);
            line.Slice(_readOfHead, take).CopyTo(ReadBuffer.AsSpan(length));
            length += take;
            budget -= take;
            _readOfHead += take;
            if (_readOfHead < bytes)
            {
                break;
            }

            _readOfHead = 0;
            _ = ToClient.Dequeue();
            if (head.Kind == ServerLineKind.Final)
            {
                final = true; // the server closes after it: nothing else comes
                break;
            }
        }

        var closed = _readOfHead == 0 && ToClient.TryPeek(out var next) && next.Kind == ServerLineKind.Closed && next.SentMs <= Now();
        return (length, closed, final);
    }

    /// <summary>The network lost what the server sent and the client had not read yet (the rest of a line begun too).</summary>
    public void LoseUnread()
    {
        ToClient.Clear();
        _readOfHead = 0;
    }

    /// <summary>The server opened the connection and enabled acknowledgements: it answers the hello.</summary>
    public void AnswerHello(long delayMs) => ToClient.Enqueue(new ServerLine(ServerLineKind.Ok, -1, Now() + delayMs));

    /// <summary>The connection is gone (closed by either end, or dropped by the network): the client hears of it last.</summary>
    public void Close()
    {
        Open = false;
        ToClient.Enqueue(new ServerLine(ServerLineKind.Closed, -1, Now()));
    }

    private long Now() => Clock?.MonoMs ?? 0;
}

/// <summary>What the server tells a client, in order: the hello's answer, acknowledgements, the final one, the end.</summary>
internal enum ServerLineKind
{
    Ok,
    Ack,
    Final,
    Closed,
}

/// <summary>One thing the server told a client at <see cref="SentMs"/>: <see cref="Value"/> for an acknowledgement (-1: none).</summary>
internal readonly record struct ServerLine(ServerLineKind Kind, long Value, long SentMs);
