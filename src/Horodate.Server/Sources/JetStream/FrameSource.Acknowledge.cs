using Horodate.Core.Durability;
using NATS.Client.JetStream;

namespace Horodate.Server.Sources.JetStream;

/// <summary>
/// Acknowledging to JetStream: the longest prefix of delivered frames whose values the pipeline made durable, and
/// where the pipeline's acknowledgements for each edge (or late frame) land.
/// </summary>
internal sealed partial class FrameSource
{
    private async Task AcknowledgeLoopAsync(CancellationToken cancel)
    {
        using var timer = new PeriodicTimer(AckPeriod);
        while (await timer.WaitForNextTickAsync(cancel).ConfigureAwait(false))
        {
            await AcknowledgeAsync(cancel).ConfigureAwait(false);
        }
    }

    private async Task AcknowledgeAsync(CancellationToken cancel)
    {
        INatsJSMsg<byte[]>? last = null;
        var count = 0;
        lock (_gate)
        {
            while (_pending.TryPeek(out var head) && head.IsDurable)
            {
                _pending.Dequeue();
                if (head.Target.Finished && head.Target.Source is { } finished)
                {
                    _pipeline.CloseSource(finished);
                    head.Target.Source = null;
                }

                last = head.Ackable ? head.Message : last;
                count++;
            }
        }

        if (last is null)
        {
            return;
        }

        try
        {
            await last.AckAsync(cancellationToken: cancel).ConfigureAwait(false); // AckPolicy All: every earlier frame too
            Interlocked.Add(ref _acked, count);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Not acknowledged: JetStream redelivers after AckWait, and the values are recognised as stored.
            Log.AckFailed(_logger, ex.Message);
        }
    }

    /// <summary>
    /// A delivered frame waiting to be durable: its last value (or a late frame's final acknowledgement). A frame read
    /// through a gap consumer is not <paramref name="Ackable"/>: the acknowledgement of a later frame covers it.
    /// </summary>
    private readonly record struct Pending(INatsJSMsg<byte[]> Message, bool Ackable, Target Target, long LastValue)
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
}
