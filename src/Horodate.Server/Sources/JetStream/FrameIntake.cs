using Horodate.Core.Durability;
using Horodate.Server.Sinks.JetStream;
using Microsoft.Extensions.Logging;

namespace Horodate.Server.Sources.JetStream;

/// <summary>
/// The root's frame protocol, free of NATS: frames taken in stream order become the ordering engine's sources (each
/// edge's life one ascending source; a late frame a source of its own that finishes at once), checked by
/// <see cref="FrameOrder"/>, and the longest prefix of taken frames whose values are durable is found for
/// acknowledging. <see cref="FrameSource"/> feeds it from JetStream; the simulator from its stand-in, step by step.
/// Not thread-safe but for <see cref="Acknowledgeable"/>, which the acknowledgement loop calls beside the taking.
/// </summary>
/// <param name="sources">The ingest path (the server's pipeline, or the core itself).</param>
/// <param name="time">The clock whose monotonic time measures <paramref name="idleTimeout"/>.</param>
/// <param name="idleTimeout">The engine's idle timeout: how long a previous life's source is kept open after its edge restarted.</param>
/// <param name="logger">Where anomalies are reported.</param>
internal sealed partial class FrameIntake(IIngestSources sources, TimeProvider time, TimeSpan idleTimeout, ILogger logger)
{
    private readonly Dictionary<string, (int Source, Target Target)> _edges = new(StringComparer.Ordinal);
    private readonly Queue<Pending> _pending = new();
    private readonly List<Retired> _retired = [];
    private readonly Lock _gate = new();
    private readonly FrameOrder _order = new();
    private ulong _taken;
    private long _frames;

    /// <summary>What to do with a delivered frame (<see cref="Arrive"/>).</summary>
    public enum Arrival
    {
        /// <summary>The next frame in the stream: take it.</summary>
        Take,

        /// <summary>A redelivery of a frame already taken: drop it.</summary>
        Redelivery,

        /// <summary>The delivery skipped past frames not taken yet: take those first (<see cref="Taken"/>+1 up to the frame's).</summary>
        AfterGap,
    }

    /// <summary>Frames taken so far.</summary>
    public long Frames => Interlocked.Read(ref _frames);

    /// <summary>Frames that came behind a newer frame of their edge (none while edges publish in order).</summary>
    public long FramesBehind => _order.Behind;

    /// <summary>The stream sequence of the last frame taken (at start, the consumer's ack floor).</summary>
    public ulong Taken
    {
        get => _taken;
        set => _taken = value;
    }

    /// <summary>
    /// Judges a delivered frame against the last taken. A frame at or below it is a redelivery, unless the frame
    /// itself (its edge, life and number) is one the root never took: then the stream lost its end (nats-server's
    /// store cut back by a power loss, without replicas) and reuses sequence numbers for new frames, which are taken.
    /// </summary>
    public Arrival Arrive(in FrameMessage frame)
    {
        var seq = frame.Sequence;
        if (seq != 0 && seq <= _taken)
        {
            if (string.IsNullOrEmpty(frame.Edge) || !_order.IsNew(frame.Edge, frame.Life, frame.Incarnation, frame.Number))
            {
                return Arrival.Redelivery;
            }

            Log.StreamCutBack(logger, seq, _taken, frame.Edge, frame.Number);
            _taken = seq - 1;
        }

        return seq > _taken + 1 ? Arrival.AfterGap : Arrival.Take;
    }

    /// <summary>Takes a frame into the pipeline; <paramref name="ackable"/> when acknowledging it is JetStream's business.</summary>
    public void Take(in FrameMessage frame, bool ackable)
    {
        _taken = Math.Max(_taken, frame.Sequence);
        Interlocked.Increment(ref _frames);
        RetireExpired();
        var edge = frame.Edge;
        long[] values;
        try
        {
            values = string.IsNullOrEmpty(edge) ? [] : Frame.Values(frame.Data.Span);
        }
        catch (InvalidDataException ex)
        {
            Log.BadFrame(logger, edge, ex.Message);
            values = [];
        }

        var kind = frame.Kind;
        if (string.IsNullOrEmpty(edge) || !InOrder(edge, frame, ref kind))
        {
            Enqueue(new Pending(frame.Handle, ackable, Target.Done, long.MinValue));
            return;
        }

        var late = kind == Frame.Late;
        Target target;
        if (kind == Frame.Idle && _edges.Remove(edge, out var idle))
        {
            // The edge has nobody left: its source finishes (stops holding the output now) and closes once durable.
            late = true;
            target = idle.Target;
            lock (_gate)
            {
                target.Source = idle.Source;
            }

            sources.FinishSource(idle.Source);
        }
        else if (kind == Frame.Active && !_edges.ContainsKey(edge))
        {
            // The edge has connections again: its source holds the output from now until its first values.
            _edges[edge] = OpenEdge(frame);
            target = Target.Done;
        }
        else if (values.Length == 0)
        {
            target = Target.Done;
        }
        else if (late)
        {
            // Late at the edge: a source of its own that finishes at once; its final acknowledgement says it is durable.
            target = new Target();
            var source = sources.OpenSource();
            lock (_gate)
            {
                target.Source = source;
            }

            sources.EnableAcks(source, null, target);
            sources.Ingest(source, values);
            sources.FinishSource(source);
        }
        else
        {
            if (!_edges.TryGetValue(edge, out var known))
            {
                _edges[edge] = known = OpenEdge(frame);
            }

            sources.Ingest(known.Source, values);
            target = known.Target;
        }

        Enqueue(new Pending(frame.Handle, ackable, target, late || values.Length == 0 ? long.MinValue : values[^1]));
    }

    /// <summary>
    /// Dequeues the longest prefix of taken frames now durable: the handle of the last to acknowledge among them
    /// (null: none), and how many frames the prefix holds. Closes the sources whose work is over on the way.
    /// </summary>
    public object? Acknowledgeable(out int count)
    {
        object? last = null;
        count = 0;
        lock (_gate)
        {
            while (_pending.TryPeek(out var head) && head.IsDurable)
            {
                _pending.Dequeue();
                if (head.Target.Finished && head.Target.Source is { } finished)
                {
                    sources.CloseSource(finished);
                    head.Target.Source = null;
                }

                last = head.Ackable ? head.Handle : last;
                count++;
            }
        }

        return last;
    }

    /// <summary>
    /// The source of an edge's life, opened by its first frame taken (its active frame, or values): it holds the output
    /// from the frame's time in the stream, less the clocks' allowance, if that is earlier than now. The edge's
    /// acknowledged clients stamp their first value only after its active frame's PubAck (<see cref="Sinks.JetStream.EdgeGreeting"/>),
    /// so after that time: a root taking the frame late (restarted, behind) still holds for them.
    /// </summary>
    private (int Source, Target Target) OpenEdge(in FrameMessage frame)
    {
        var source = frame.Stored is { } stored
            ? sources.OpenSource((stored - BalancerAllowance.Allowance).ToUnixTimeMilliseconds())
            : sources.OpenSource();
        var edge = (Source: source, Target: new Target());
        sources.EnableAcks(edge.Source, null, edge.Target);
        return edge;
    }

    private void Enqueue(Pending pending)
    {
        lock (_gate)
        {
            _pending.Enqueue(pending);
        }
    }
}
