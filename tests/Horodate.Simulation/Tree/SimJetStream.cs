using Horodate.Server.Sinks.JetStream;
using Horodate.Server.Sources.JetStream;
using NATS.Client.Core;

namespace Horodate.Simulation.Tree;

/// <summary>
/// The JetStream stand-in of the tree's simulation: one stream (every edge's frames, in the order they landed, with
/// their stream sequence and JetStream's duplicate window by <c>Nats-Msg-Id</c>) and the root's durable consumer (its
/// delivery point and ack floor, <c>AckPolicy All</c>). A publish succeeds, fails (did not land), or is in doubt (it
/// lands or not; its PubAck never comes): drawn from the schedule, or forced while nats-server is down. The edges'
/// <see cref="FrameSequence"/> publishes through it with a publish timeout of 0, so a PubAck not in at once is a
/// timeout, deterministically.
/// </summary>
internal sealed class SimJetStream(SimRandom random, SimClock clock) : IFramePublisher
{
    private readonly List<(ulong Sequence, string Subject, NatsHeaders Headers, byte[] Payload, string Id, long StoredMs)> _stream = [];
    private readonly Dictionary<string, long> _ids = new(StringComparer.Ordinal); // Nats-Msg-Id → when it landed (wall ms)
    private readonly List<(long LandAtMs, string Subject, byte[] Payload, string Id, NatsHeaders Headers, ulong? ExpectedLast)> _onTheWay = [];
    private ulong _last;

    /// <summary>
    /// The longest a publish is on its way before it lands: 3 s, past a restarted edge's first frames (it is back within
    /// 600 ms) and within JetStream's 2-minute duplicate window (a copy landing after its republish is dropped).
    /// </summary>
    private const int MaxOnTheWayMs = 3_000;

    /// <summary>
    /// JetStream's duplicate window: a publish whose <c>Nats-Msg-Id</c> landed less than this long ago is dropped (and
    /// answered with the first copy's sequence); past it the id is forgotten. 2 minutes, as the edge creates the
    /// stream; the simulator shortens it in some schedules (<see cref="TreeSimulator"/>) so that retries in doubt outlast
    /// it, as after a nats-server outage of more than 2 minutes.
    /// </summary>
    public long DuplicateWindowMs { get; set; } = 120_000;

    /// <summary>nats-server is down: every publish is refused, or in doubt (half of them land).</summary>
    public bool Down { get; set; }

    /// <summary>Per mille of publishes refused while up (an edge's connection failing, a slow PubAck).</summary>
    public int FailPerMille { get; set; }

    /// <summary>Per mille of publishes in doubt while up (landed or not; the PubAck lost).</summary>
    public int DoubtPerMille { get; set; }

    /// <summary>The consumer's delivery point: the last stream sequence delivered.</summary>
    public ulong Delivered { get; set; }

    /// <summary>The consumer's ack floor.</summary>
    public ulong AckFloor { get; private set; }

    /// <summary>The last stream sequence.</summary>
    public ulong LastSequence => _last;

    /// <summary>Frames published (landed) so far, duplicates dropped.</summary>
    public int Landed { get; private set; }

    /// <summary>The publisher is being killed -9 mid-publish: what it publishes now is on its way, its PubAck never comes.</summary>
    public bool Interrupting { get; set; }

    public Task<ulong> PublishAsync(string subject, byte[] payload, string msgId, NatsHeaders headers, ulong? expectedLast = null)
    {
        if (Interrupting)
        {
            _onTheWay.Add((clock.WallMs + random.Next(MaxOnTheWayMs), subject, payload, msgId, headers, expectedLast));
            return new TaskCompletionSource<ulong>().Task;
        }

        var refused = Down ? random.Chance(500) : random.Chance(FailPerMille);
        if (refused)
        {
            return Task.FromException<ulong>(new IOException("nats: publish refused (simulated)"));
        }

        var doubt = Down || random.Chance(DoubtPerMille);
        ulong sequence = 0;
        if ((!doubt || random.Chance(500)) && (sequence = Land(subject, payload, msgId, headers, expectedLast)) == 0 && !doubt)
        {
            return Task.FromException<ulong>(new FrameClaimLostException($"nats: wrong last sequence for {msgId} (simulated)"));
        }
        else if (random.Chance(500))
        {
            // Still on its way (in the publisher's socket, or nats-server's buffer while it is paused): it lands later,
            // whatever became of its publisher meanwhile (killed, restarted as a new life that published since).
            _onTheWay.Add((clock.WallMs + random.Next(MaxOnTheWayMs), subject, payload, msgId, headers, expectedLast));
        }

        return doubt ? new TaskCompletionSource<ulong>().Task : Task.FromResult(sequence);
    }

    /// <summary>Publishes still on their way (<see cref="PublishAsync"/>).</summary>
    public int OnTheWay => _onTheWay.Count;

    /// <summary>Lands the publishes on their way whose time has come (none while nats-server is down: they wait in its buffers).</summary>
    /// <returns>The ids of the frames that landed (not dropped as duplicates).</returns>
    public List<string> Arrive()
    {
        var landed = new List<string>();
        if (Down)
        {
            return landed;
        }

        for (var i = 0; i < _onTheWay.Count; i++)
        {
            var (at, subject, payload, id, headers, expectedLast) = _onTheWay[i];
            if (clock.WallMs >= at)
            {
                _onTheWay.RemoveAt(i--);
                var before = _last;
                if (Land(subject, payload, id, headers, expectedLast) > before)
                {
                    landed.Add(id);
                }
            }
        }

        return landed;
    }

    /// <summary>The frame the consumer delivers next (redelivering from <paramref name="after"/>+1), or null.</summary>
    public FrameMessage? Next(ulong after)
    {
        var i = _stream.FindIndex(f => f.Sequence > after);
        if (i < 0)
        {
            return null;
        }

        var (sequence, _, headers, payload, _, stored) = _stream[i];
        return FrameMessage.From(sequence, DateTimeOffset.FromUnixTimeMilliseconds(stored), headers, payload, sequence);
    }

    /// <summary>Frame <paramref name="sequence"/> read directly (a gap consumer), or null if the stream no longer holds it.</summary>
    public FrameMessage? Read(ulong sequence)
    {
        var i = _stream.FindIndex(f => f.Sequence == sequence);
        return i < 0 ? null : FrameMessage.From(sequence, DateTimeOffset.FromUnixTimeMilliseconds(_stream[i].StoredMs), _stream[i].Headers, _stream[i].Payload, sequence);
    }

    /// <summary>The root acknowledged frame <paramref name="sequence"/> (and every earlier one).</summary>
    public void Ack(ulong sequence) => AckFloor = Math.Max(AckFloor, Math.Min(sequence, _last));

    /// <summary>
    /// nats-server lost the end of its store (a power loss, no replicas): its last <paramref name="count"/> frames, at most
    /// those up to <paramref name="takenUpTo"/> (frames the root took: what is lost beyond them is acknowledged values
    /// lost, which the README does not promise against). Sequence numbers, the duplicate window and the consumer's state go
    /// back with them.
    /// </summary>
    /// <returns>How many frames were lost.</returns>
    public int LoseEnd(int count, ulong takenUpTo)
    {
        var n = 0;
        for (; n < count && _stream.Count > 0 && _stream[^1].Sequence <= takenUpTo; n++)
        {
            _ = _ids.Remove(_stream[^1].Id);
            _stream.RemoveAt(_stream.Count - 1);
        }

        _last = _stream.Count == 0 ? 0 : _stream[^1].Sequence;
        Delivered = Math.Min(Delivered, _last);
        AckFloor = Math.Min(AckFloor, _last);
        return n;
    }

    public Task<LastFrame> LastAsync(string subject)
    {
        if (Down)
        {
            return Task.FromException<LastFrame>(new IOException("nats: no responders (simulated)"));
        }

        var i = _stream.FindLastIndex(f => f.Subject == subject);
        return Task.FromResult(i < 0 ? LastFrame.None with { StreamEnd = _last }
            : new LastFrame(_stream[i].Sequence, Frame.Number(_stream[i].Headers, Frame.LifeHeader), Frame.Number(_stream[i].Headers, Frame.IncarnationHeader), Frame.Number(_stream[i].Headers, Frame.NumberHeader)));
    }

    /// <summary>
    /// Lands a frame, or finds it landed (JetStream's duplicate window, by its id, checked first as nats-server does), or refuses it if
    /// <paramref name="expectedLast"/> is not the subject's last sequence.
    /// </summary>
    /// <returns>The frame's stream sequence (of the copy that landed first); 0 when refused.</returns>
    private ulong Land(string subject, byte[] payload, string msgId, NatsHeaders headers, ulong? expectedLast)
    {
        if (_ids.TryGetValue(msgId, out var landedMs) && clock.WallMs - landedMs < DuplicateWindowMs)
        {
            return _stream.Find(f => f.Id == msgId).Sequence is var landed and > 0 ? landed : _last; // a copy lost with the stream's end: any
        }

        if (expectedLast is { } expected && expected != (_stream.FindLastIndex(f => f.Subject == subject) is var i and >= 0 ? _stream[i].Sequence : 0))
        {
            return 0;
        }

        _ids[msgId] = clock.WallMs;
        _stream.Add((++_last, subject, headers, payload, msgId, clock.WallMs));
        Landed++;
        return _last;
    }
}
