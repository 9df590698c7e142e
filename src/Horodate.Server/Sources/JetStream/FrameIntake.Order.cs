using Horodate.Core.Durability;
using Horodate.Server.Sinks.JetStream;
using Microsoft.Extensions.Logging;

namespace Horodate.Server.Sources.JetStream;

/// <content>Each edge's frames in the order it numbered them, its lives one after the other, and the targets of acknowledgements.</content>
internal sealed partial class FrameIntake
{
    /// <summary>
    /// Whether the frame is taken, after <see cref="FrameOrder"/>'s check. A frame behind its edge's newest (never, while
    /// edges publish in order) must not move the edge's state back: an idle or active frame is ignored, and a frame of
    /// values is taken as a late frame (a source of its own, finished at once): its values above the output still land
    /// in order, the rest in <c>.late</c>, none dropped and none written out of order. The first frame of an edge's new
    /// life retires its previous life's source (<see cref="Retire"/>) before it is taken as any first frame is.
    /// </summary>
    private bool InOrder(string edge, in FrameMessage frame, ref string? kind)
    {
        switch (_order.Check(edge, frame.Life, frame.Incarnation, frame.Number))
        {
            case FrameVerdict.AfterGap:
                Log.FrameGap(logger, edge, frame.Incarnation, frame.Number);
                return true;
            case FrameVerdict.NewLife:
                Log.NewLife(logger, edge, frame.Incarnation);
                Retire(edge);
                return true;
            case FrameVerdict.Behind:
                Log.FrameBehind(logger, edge, frame.Incarnation, frame.Number, kind);
                if (kind == Frame.Ordered)
                {
                    kind = Frame.Late;
                    return true;
                }

                return kind == Frame.Late;
            default:
                return true;
        }
    }

    /// <summary>
    /// The edge restarted: its previous life's source is left as a killed edge's is, holding the output at its last
    /// value until the idle timeout ends its hold (the dead life's clients resend meanwhile, through the balancer, to
    /// another edge or to the new life), then finished and closed once durable. The new life's frames never touch it:
    /// its idle frame (an edge restarted with no connection yet says nothing, but one whose clients all left says so)
    /// must not end the hold the dead life's clients need.
    /// </summary>
    private void Retire(string edge)
    {
        if (_edges.Remove(edge, out var old))
        {
            _retired.Add(new Retired(old.Source, old.Target, time.GetTimestamp() + (long)(idleTimeout.TotalSeconds * time.TimestampFrequency)));
        }
    }

    /// <summary>Finishes the retired sources whose hold is over, and closes those finished and durable.</summary>
    private void RetireExpired()
    {
        if (_retired.Count == 0)
        {
            return;
        }

        var now = time.GetTimestamp();
        for (var i = _retired.Count - 1; i >= 0; i--)
        {
            var retired = _retired[i];
            if (!retired.Finishing && now >= retired.Due)
            {
                sources.FinishSource(retired.Source);
                _retired[i] = retired with { Finishing = true };
            }
            else if (retired.Finishing && retired.Target.Finished)
            {
                sources.CloseSource(retired.Source);
                _retired.RemoveAt(i);
            }
        }
    }

    /// <summary>A previous life's source, kept until <paramref name="Due"/> (a monotonic timestamp), then finished.</summary>
    private readonly record struct Retired(int Source, Target Target, long Due, bool Finishing = false);

    /// <summary>
    /// A taken frame waiting to be durable: its last value (or a late frame's final acknowledgement). A frame read
    /// through a gap consumer is not <paramref name="Ackable"/>: the acknowledgement of a later frame covers it.
    /// </summary>
    private readonly record struct Pending(object Handle, bool Ackable, Target Target, long LastValue)
    {
        public bool IsDurable => LastValue == long.MinValue ? Target.Finished : Target.Durable >= LastValue;
    }

    /// <summary>Where the pipeline's acknowledgements for one edge (or one late frame) land. Never blocks.</summary>
    private sealed class Target : IAckTarget
    {
        /// <summary>A target for a frame with nothing to make durable.</summary>
        public static readonly Target Done = CreateDone();

        private long _durable = -1;
        private volatile bool _finished;

        public long Durable => Volatile.Read(ref _durable);

        public bool Finished => _finished;

        /// <summary>The finishing source of a late frame, closed once acknowledged (guarded by the owner's gate).</summary>
        public int? Source { get; set; }

        public bool TryDeliver(long value)
        {
            long seen;
            while (value > (seen = Volatile.Read(ref _durable)) && Interlocked.CompareExchange(ref _durable, value, seen) != seen)
            {
            }

            return true;
        }

        public bool TryDeliverFinal(long value)
        {
            if (value >= 0)
            {
                _ = TryDeliver(value);
            }

            _finished = true;
            return true;
        }

        private static Target CreateDone()
        {
            var done = new Target();
            done._finished = true;
            return done;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1303, LogLevel.Error, "A frame of edge {Edge} was dropped: {Reason}")]
        public static partial void BadFrame(ILogger logger, string? edge, string reason);

        [LoggerMessage(1306, LogLevel.Warning, "Frame {Number} of edge {Edge} ({Incarnation}) came after a gap in its numbers; taken.")]
        public static partial void FrameGap(ILogger logger, string edge, long incarnation, long number);

        [LoggerMessage(1307, LogLevel.Error, "Frame {Number} of edge {Edge} ({Incarnation}), {Kind}, came behind a newer one: a state frame is ignored, values are taken as late.")]
        public static partial void FrameBehind(ILogger logger, string edge, long incarnation, long number, string? kind);

        [LoggerMessage(1308, LogLevel.Information, "Edge {Edge} began a new life ({Incarnation}): its previous life's source holds the output until the idle timeout.")]
        public static partial void NewLife(ILogger logger, string edge, long incarnation);

        [LoggerMessage(1309, LogLevel.Warning, "Frame {Sequence} of the stream (taken up to {Taken}) is new (edge {Edge}, frame {Number}): the stream lost its end and reuses sequence numbers; taken.")]
        public static partial void StreamCutBack(ILogger logger, ulong sequence, ulong taken, string edge, long number);
    }
}
