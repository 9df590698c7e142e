using System.Runtime.InteropServices;
using Horodate.Client.Load;

namespace Horodate.Simulation;

/// <summary>
/// A simulated client, as horodate-client behaves. An acknowledged one (with a stable id) is the client's production
/// <see cref="ClientConnection"/> (<see cref="Production"/>: its hello, its ring of unacknowledged values, its resends
/// after a reconnect, its partial lines and trims), driven by the simulator over a simulated socket
/// (<see cref="SimConnection"/>); one that is done (<see cref="Finished"/>) sends nothing new, half-closes each
/// connection once its resends are out, and is gone once it has its final acknowledgement (as at the end of a
/// horodate-client run). A plain one is a model: it just sends. Values are its clock (the server's wall clock plus
/// a skew), strictly ascending.
/// </summary>
internal sealed class SimClient
{
    /// <summary>
    /// Bounds the production connection's ring far above what a schedule leaves unacknowledged (a value every 5 ms
    /// for a few seconds): none is ever dropped for room, so every value handed to a socket is kept until acknowledged.
    /// </summary>
    private const int UnackedLimit = 1 << 16;

    public SimClient(int index, bool acknowledged, long skewMs, long periodMs)
    {
        Index = index;
        SkewMs = skewMs;
        PeriodMs = periodMs;
        Id = "c" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (acknowledged)
        {
            Production = new ClientConnection(index, offsetTicks: 0, UnackedLimit);
        }
    }

    public int Index { get; }

    /// <summary>The production connection of an acknowledged client (null for a plain one).</summary>
    public ClientConnection? Production { get; }

    /// <summary>What the production connection counts into (its own tally, not the checker's record).</summary>
    public SendTally Tally { get; } = new();

    public bool Acknowledged => Production is not null;

    public string Id { get; }

    public long SkewMs { get; set; }

    /// <summary>Its clock stepped (Simulator.ClientClocks.cs): the production connection gets the clock as it reads.</summary>
    public bool OwnClock { get; set; }

    public long PeriodMs { get; }

    /// <summary>
    /// Every value sent, ascending, once: the independent record the checker judges the files against. For an
    /// acknowledged client, what its socket saw: each value whose line began in a socket (<see cref="SimConnection"/>).
    /// </summary>
    public List<long> Sent { get; } = [];

    public long LastValue => Sent.Count == 0 ? -1 : Sent[^1];

    /// <summary>
    /// The highest acknowledgement the production connection noted (-1 for a plain client, and for one that took the
    /// server for a plain one: it keeps and resends nothing, so an ACK on a connection says nothing of what an earlier
    /// one lost; the client counts none of its values acknowledged).
    /// </summary>
    public long AckedThrough => Production is { Mode: not ServerMode.Plain } production ? production.AckedThrough : -1;

    /// <summary>Sent and not acknowledged (acknowledged mode), ascending: what the checker expects to be resent.</summary>
    public ReadOnlySpan<long> Unacked
    {
        get
        {
            if (!Acknowledged)
            {
                return [];
            }

            var sent = CollectionsMarshal.AsSpan(Sent);
            var at = sent.BinarySearch(AckedThrough);
            return sent[(at >= 0 ? at + 1 : ~at)..];
        }
    }

    /// <summary>The live connection, as the server sees it, if any.</summary>
    public SimConnection? Connection { get; set; }

    /// <summary>The socket the production connection was brought up on, until it takes it down.</summary>
    public SimConnection? Attached { get; set; }

    public bool Gone { get; set; }

    /// <summary>Done sending: it sends nothing new and half-closes its connections.</summary>
    public bool Finished
    {
        get => FinishedAtMs >= 0;
    }

    /// <summary>When (monotonic) it finished sending, or -1.</summary>
    public long FinishedAtMs { get; private set; } = -1;

    /// <summary>It stops sending at <paramref name="nowMs"/> (once).</summary>
    public void Finish(long nowMs)
    {
        if (FinishedAtMs < 0)
        {
            FinishedAtMs = nowMs;
        }
    }

    /// <summary>It had its final acknowledgement: it is done, its connection closes.</summary>
    public bool FinalReceived { get; set; }

    /// <summary>Final acknowledgements the server's offers lost to a full socket buffer.</summary>
    public int FinalRefused { get; set; }

    /// <summary>A value sent and still unacknowledged when the final acknowledgement came (a violation), or null.</summary>
    public long? UncoveredByFinal { get; set; }

    /// <summary>What the client did that no client may (its socket saw it; a violation), or null.</summary>
    public string? Misbehaved { get; set; }

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

    /// <summary>When its latest connect() returned (monotonic): its hello went out then.</summary>
    public long ConnectedAtMs { get; set; }

    /// <summary>When the hello of its current connection went out (monotonic), for the hello timeout.</summary>
    public long GreetingSinceMs { get; set; }

    /// <summary>The server answered one of its hellos (the client's per-address memory): a silence is load, not a plain server.</summary>
    public bool AddressAnswered { get; set; }

    /// <summary>Until when (monotonic) its link to the server is slow: the server reads a line of it now and then.</summary>
    public long SlowUntilMs { get; set; }

    /// <summary>When the server last read a line of it over its slow link (monotonic).</summary>
    public long LastSlowReadMs { get; set; }

    public int Failures { get; set; }

    /// <summary>A plain client's next value.</summary>
    public long NextValue(long wallMs)
    {
        var value = Math.Max(LastValue + 1, wallMs + SkewMs);
        Sent.Add(value);
        return value;
    }

    /// <summary>
    /// An acknowledged client's socket saw the line of <paramref name="value"/> begin: new if above every value
    /// before, else a resend, which must be of a value sent before.
    /// </summary>
    public void Handed(long value)
    {
        if (value > LastValue)
        {
            Sent.Add(value);
        }
        else if (Sent.BinarySearch(value) < 0)
        {
            Misbehaved ??= $"resent {value}, which it never sent";
        }
    }
}
