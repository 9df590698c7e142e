namespace Horodate.Server.Sources.JetStream;

/// <summary>
/// The root's check that each edge's frames come in the order the edge numbered them: one sequence per life of the
/// edge's process, from 1, without gaps (<see cref="Sinks.JetStream.FrameSequence"/>), and its lives one after the
/// other. A frame behind its edge's newest is <see cref="FrameVerdict.Behind"/>, and its caller keeps it from moving
/// the edge's state back. Lives are ordered by their life number (<see cref="Sinks.JetStream.FrameSequence.Life"/>,
/// which only grows from one life to the next, whatever the edges' clocks): a frame of a smaller life (a killed
/// process's publish that landed after its next life's frames) is behind, and never ends the newer life; a frame of
/// a greater life is a <see cref="FrameVerdict.NewLife"/>. Two lives share a number only when nats-server lost the
/// end of its stream with the first one's claim: then, and for frames without life numbers (edges from before
/// them), an incarnation the root has not seen end is a new life, in the stream's order. Frames without numbers
/// (from edges before the numbers existed) are taken as they come.
/// </summary>
internal sealed class FrameOrder
{
    private readonly Dictionary<string, Edge> _edges = new(StringComparer.Ordinal);

    /// <summary>Frames found behind their edge's newest.</summary>
    public long Behind { get; private set; }

    /// <summary>Frames found after a gap in their edge's numbers.</summary>
    public long Gaps { get; private set; }

    /// <summary>Lives of an edge that began after another life of the same edge was seen.</summary>
    public long Restarts { get; private set; }

    /// <summary>Judges frame <paramref name="number"/> of <paramref name="edge"/>'s life (<paramref name="life"/>, <paramref name="incarnation"/>), and remembers it.</summary>
    public FrameVerdict Check(string edge, long life, long incarnation, long number)
    {
        if (incarnation <= 0 || number <= 0)
        {
            return FrameVerdict.InOrder;
        }

        if (!_edges.TryGetValue(edge, out var known))
        {
            _edges[edge] = new Edge(life, incarnation, number);
            return FrameVerdict.InOrder; // the first the root sees of this edge (since its own start): any number
        }

        if (incarnation != known.Incarnation)
        {
            if (!known.IsNewLife(life, incarnation))
            {
                Behind++;
                return FrameVerdict.Behind; // a life already over, or older than the edge's newest
            }

            _ = known.Ended.Add(known.Incarnation);
            known.Life = life;
            known.Incarnation = incarnation;
            known.Number = number;
            Restarts++;
            return FrameVerdict.NewLife;
        }

        if (number <= known.Number)
        {
            Behind++;
            return FrameVerdict.Behind;
        }

        var gap = number != known.Number + 1;
        known.Number = number;
        if (gap)
        {
            Gaps++;
            return FrameVerdict.AfterGap;
        }

        return FrameVerdict.InOrder;
    }

    /// <summary>Whether frame <paramref name="number"/> of <paramref name="edge"/>'s life (<paramref name="life"/>, <paramref name="incarnation"/>) is one the root has not taken yet (asks, remembers nothing).</summary>
    public bool IsNew(string edge, long life, long incarnation, long number) =>
        incarnation > 0 && number > 0
        && (!_edges.TryGetValue(edge, out var known)
            || (incarnation == known.Incarnation ? number > known.Number : known.IsNewLife(life, incarnation)));

    /// <summary>One edge: its current life, its newest frame number in it, and the lives seen end (a handful per edge: one per restart).</summary>
    private sealed class Edge(long life, long incarnation, long number)
    {
        public long Life { get; set; } = life;

        public long Incarnation { get; set; } = incarnation;

        public long Number { get; set; } = number;

        public HashSet<long> Ended { get; } = [];

        /// <summary>
        /// Whether another incarnation than the current one is a newer life: a greater life number; with the same (a
        /// stream that lost its end) or none (an edge from before them), any life not seen end.
        /// </summary>
        public bool IsNewLife(long life, long incarnation) =>
            !Ended.Contains(incarnation) && (life <= 0 || Life <= 0 || life >= Life);
    }
}

/// <summary>What <see cref="FrameOrder.Check"/> found.</summary>
internal enum FrameVerdict
{
    /// <summary>The next frame of its edge (or the first the root sees of the edge).</summary>
    InOrder,

    /// <summary>Ahead of its edge's newest by more than one: frames between are missing (a stream trimmed by age).</summary>
    AfterGap,

    /// <summary>Not newer than its edge's newest frame, or from a life of the edge already over: out of order, or a copy.</summary>
    Behind,

    /// <summary>
    /// The first frame seen of a new life of an edge the root knew under another: the previous life's state (its
    /// source) is over and must not be touched by the new life's frames; it stops holding the output by the idle
    /// timeout, as a killed edge's does.
    /// </summary>
    NewLife,
}
