namespace Horodate.Server.Sources.JetStream;

/// <summary>
/// The root's check that each edge's frames come in the order the edge numbered them: one sequence per incarnation
/// (one life of the edge's process), from 1, without gaps (<see cref="Sinks.JetStream.FrameSequence"/>). The stream
/// keeps them so; this is the defence should it not: a frame behind its edge's newest (or from a life the root has
/// already seen end) is <see cref="FrameVerdict.Behind"/>, and its caller keeps it from moving the edge's state back.
/// Any incarnation the root has not seen for the edge is a <see cref="FrameVerdict.NewLife"/>, whatever its number:
/// the incarnation is the edge's wall clock at its start, and a restarted edge's clock may be behind its previous
/// start (an NTP step, another host under the same id), so its value says nothing about which life is newer; the
/// stream's order does. Frames without numbers (from edges before the numbers existed) are taken as they come.
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

    /// <summary>Judges frame <paramref name="number"/> of <paramref name="edge"/>'s <paramref name="incarnation"/>, and remembers it.</summary>
    public FrameVerdict Check(string edge, long incarnation, long number)
    {
        if (incarnation <= 0 || number <= 0)
        {
            return FrameVerdict.InOrder;
        }

        if (!_edges.TryGetValue(edge, out var known))
        {
            _edges[edge] = new Edge(incarnation, number);
            return FrameVerdict.InOrder; // the first the root sees of this edge (since its own start): any number
        }

        if (incarnation != known.Incarnation)
        {
            if (known.Ended.Contains(incarnation))
            {
                Behind++;
                return FrameVerdict.Behind; // a life already over
            }

            _ = known.Ended.Add(known.Incarnation);
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

    /// <summary>Whether frame <paramref name="number"/> of <paramref name="edge"/>'s <paramref name="incarnation"/> is one the root has not taken yet (asks, remembers nothing).</summary>
    public bool IsNew(string edge, long incarnation, long number) =>
        incarnation > 0 && number > 0
        && (!_edges.TryGetValue(edge, out var known)
            || (incarnation == known.Incarnation ? number > known.Number : !known.Ended.Contains(incarnation)));

    /// <summary>One edge: its current life, its newest frame number in it, and the lives seen end (a handful per edge: one per restart).</summary>
    private sealed class Edge(long incarnation, long number)
    {
        public long Incarnation { get; set; } = incarnation;

        public long Number { get; set; } = number;

        public HashSet<long> Ended { get; } = [];
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
