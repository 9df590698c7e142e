namespace Horodate.Server.Sources.JetStream;

/// <summary>
/// The root's check that each edge's frames come in the order the edge numbered them: one sequence per incarnation
/// (the edge's start), from 1, without gaps (<see cref="Sinks.JetStream.FrameSequence"/>). The stream keeps them so; this
/// is the defence should it not: a frame behind its edge's newest (or from an earlier incarnation) is
/// <see cref="FrameVerdict.Behind"/>, and its caller keeps it from moving the edge's state back. Frames without
/// numbers (from edges before the numbers existed) are taken as they come.
/// </summary>
internal sealed class FrameOrder
{
    private readonly Dictionary<string, (long Incarnation, long Number)> _newest = new(StringComparer.Ordinal);

    /// <summary>Frames found behind their edge's newest.</summary>
    public long Behind { get; private set; }

    /// <summary>Frames found after a gap in their edge's numbers.</summary>
    public long Gaps { get; private set; }

    /// <summary>Judges frame <paramref name="number"/> of <paramref name="edge"/>'s <paramref name="incarnation"/>, and remembers it.</summary>
    public FrameVerdict Check(string edge, long incarnation, long number)
    {
        if (incarnation <= 0 || number <= 0)
        {
            return FrameVerdict.InOrder;
        }

        if (_newest.TryGetValue(edge, out var newest)
            && (incarnation < newest.Incarnation || (incarnation == newest.Incarnation && number <= newest.Number)))
        {
            Behind++;
            return FrameVerdict.Behind;
        }

        var gap = incarnation == newest.Incarnation && number != newest.Number + 1; // the first seen of a life may be any
        _newest[edge] = (incarnation, number);
        if (gap)
        {
            Gaps++;
            return FrameVerdict.AfterGap;
        }

        return FrameVerdict.InOrder;
    }
}

/// <summary>What <see cref="FrameOrder.Check"/> found.</summary>
internal enum FrameVerdict
{
    /// <summary>The next frame of its edge (or the first the root sees of an incarnation).</summary>
    InOrder,

    /// <summary>Ahead of its edge's newest by more than one: frames between are missing (a stream trimmed by age).</summary>
    AfterGap,

    /// <summary>Not newer than its edge's newest frame: out of order, or a copy.</summary>
    Behind,
}
