using Horodate.Core.Durability;

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

    /// <summary>The server opened the connection and enabled acknowledgements: it answers the hello.</summary>
    public void AnswerHello() => ToClient.Enqueue(new ServerLine(ServerLineKind.Ok, -1, Now()));

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
