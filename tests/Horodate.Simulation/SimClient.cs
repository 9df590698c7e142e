using Horodate.Core.Durability;

namespace Horodate.Simulation;

/// <summary>
/// A simulated client, as horodate-client behaves: an acknowledged one (with a stable id) keeps every value
/// sent and not yet acknowledged and resends them in order after reconnecting with backoff; a plain one
/// just sends. Values are its clock (the server's wall clock plus a skew), strictly ascending. An acknowledged
/// one that is done (<see cref="Finished"/>) sends nothing new, half-closes each connection once its resends
/// are out, and is gone once it has its final acknowledgement (as at the end of a horodate-client run).
/// </summary>
internal sealed class SimClient(int index, bool acknowledged, long skewMs, long periodMs)
{
    public int Index { get; } = index;

    public bool Acknowledged { get; } = acknowledged;

    public string Id { get; } = "c" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public long SkewMs { get; } = skewMs;

    public long PeriodMs { get; } = periodMs;

    /// <summary>Every value sent, ascending (the independent record the checker judges the files against).</summary>
    public List<long> Sent { get; } = [];

    /// <summary>Sent and not acknowledged (acknowledged mode), ascending.</summary>
    public List<long> Unacked { get; } = [];

    /// <summary>The highest acknowledgement received.</summary>
    public long AckedThrough { get; private set; } = -1;

    /// <summary>The live connection, if any.</summary>
    public SimConnection? Connection { get; set; }

    public bool Gone { get; set; }

    /// <summary>Done sending: it sends nothing new and half-closes its connections.</summary>
    public bool Finished { get; set; }

    /// <summary>It had its final acknowledgement: it is done, its connection closes.</summary>
    public bool FinalReceived { get; set; }

    /// <summary>Final acknowledgements the server's offers lost to a full socket buffer.</summary>
    public int FinalRefused { get; set; }

    /// <summary>A value sent and still unacknowledged when the final acknowledgement came (a violation), or null.</summary>
    public long? UncoveredByFinal { get; set; }

    public long NextSendMs { get; set; }

    /// <summary>
    /// Connected on the client's side, not yet opened by the server (the handshake's last packet queued, then the
    /// accept queue): the monotonic time the server opens it, or -1.
    /// </summary>
    public long OpensAtMs { get; set; } = -1;

    /// <summary>What a plain client sent while its connection waited to be opened: read once it is.</summary>
    public List<long> SentBeforeOpen { get; } = [];

    /// <summary>Its last value when the connection waiting to be opened was made: what it sends after is new on it.</summary>
    public long LastAtConnect { get; set; } = -1;

    public long ReconnectAtMs { get; set; }

    public int Failures { get; set; }

    public long LastValue { get; private set; } = -1;

    public long NextValue(long wallMs)
    {
        LastValue = Math.Max(LastValue + 1, wallMs + SkewMs);
        Sent.Add(LastValue);
        return LastValue;
    }

    public void OnAck(long value)
    {
        if (value <= AckedThrough)
        {
            return;
        }

        AckedThrough = value;
        var drop = 0;
        while (drop < Unacked.Count && Unacked[drop] <= value)
        {
            drop++;
        }

        Unacked.RemoveRange(0, drop);
    }
}

/// <summary>One connection from a client to one run of the server: values in flight, acknowledgements back.</summary>
internal sealed class SimConnection(SimClient client, int source, SimRandom random, int eagainPerMille) : IAckTarget
{
    public SimClient Client { get; } = client;

    public int Source { get; } = source;

    /// <summary>How often, per mille, an offer meets a full socket buffer.</summary>
    public int EagainPerMille { get; set; } = eagainPerMille;

    /// <summary>Sent, not yet read by the server (the socket buffers).</summary>
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
    /// hello, so its clock then reads at least the server's at the opening (plus its skew); a plain one sends at once.
    /// </summary>
    public long StampsFrom { get; init; } = long.MinValue;

    /// <summary>Open on both ends; acknowledgements reach the client.</summary>
    public bool Open { get; set; } = true;

    /// <summary>The server reads it (false once a graceful stop stopped reading).</summary>
    public bool Read { get; set; } = true;

    /// <summary>Half-closed: the server was told that everything was sent (<see cref="IngestCore.FinishSource"/>).</summary>
    public bool HalfClosed { get; set; }

    /// <summary>The final acknowledgement came: the server ends the connection.</summary>
    public bool Ended { get; private set; }

    /// <summary>Acknowledgements the server's offers lost to a full socket buffer.</summary>
    public int Refused { get; private set; }

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

        Client.OnAck(value);
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

        if (value >= 0)
        {
            Client.OnAck(value);
        }

        Ended = true;
        Client.FinalReceived = true;
        if (Client.Unacked.Count > 0)
        {
            Client.UncoveredByFinal ??= Client.Unacked[0];
        }

        return true;
    }
}
