using Horodate.Server.Sinks.JetStream;
using Microsoft.Extensions.Logging;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Horodate.Server.Sources.JetStream;

/// <summary>
/// Frames in stream order, without gaps. JetStream redelivers a frame delivered but never acknowledged only after
/// <c>AckWait</c> (30 s), and with <c>AckPolicy All</c> the acknowledgement of any later frame covers it: after a kill -9
/// of the root (the frames in flight to the dead process) or of nats-server (a pull request's deliveries lost with it),
/// the durable consumer's next delivery skips past them. Taken as they came, they would arrive 30 s late (into
/// <c>.late</c>), or never (acknowledged away by a later frame). So the root keeps the stream sequence of the last frame
/// it took (at start, the consumer's ack floor) and, when a delivery skips past it, reads the frames in between first
/// through a short-lived consumer of its own; a redelivery of a frame already taken is dropped (its values are in the
/// pipeline, and the acknowledgement of a later frame covers it).
/// </summary>
internal sealed partial class FrameSource
{
    /// <summary>How long a gap's frames may take to arrive (each is already in the stream: 10 s is generous).</summary>
    private static readonly TimeSpan GapFetchTimeout = TimeSpan.FromSeconds(10);

    private async Task TakeInOrderAsync(INatsJSMsg<byte[]> msg, CancellationToken cancel)
    {
        var frame = Message(msg);
        switch (_intake.Arrive(frame))
        {
            case FrameIntake.Arrival.Redelivery:
                return; // its values are in the pipeline; the acknowledgement of a later frame covers it
            case FrameIntake.Arrival.AfterGap:
                await TakeGapAsync(_intake.Taken + 1, frame.Sequence - 1, cancel).ConfigureAwait(false);
                break;
        }

        _intake.Take(frame, ackable: true);
    }

    /// <summary>Takes stream frames <paramref name="from"/>..<paramref name="to"/> (those still kept), in order.</summary>
    private async Task TakeGapAsync(ulong from, ulong to, CancellationToken cancel)
    {
        var name = $"{ConsumerName}-gap-{Guid.NewGuid():N}";
        var gap = await _js.CreateOrUpdateConsumerAsync(NatsSettings.StreamName, new ConsumerConfig(name)
        {
            AckPolicy = ConsumerConfigAckPolicy.None,
            DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartSequence,
            OptStartSeq = from,
            InactiveThreshold = TimeSpan.FromMinutes(1), // removed by the server should the root die before deleting it
        }, cancel).ConfigureAwait(false);
        var count = 0L;
        try
        {
            var opts = new NatsJSFetchOpts { MaxMsgs = (int)Math.Min(to - from + 1, MaxAckPending), Expires = GapFetchTimeout };
            while (_intake.Taken < to)
            {
                var any = false;
                await foreach (var msg in gap.FetchAsync<byte[]>(opts, cancellationToken: cancel).ConfigureAwait(false))
                {
                    var seq = msg.Metadata?.Sequence.Stream ?? 0;
                    if (seq > to)
                    {
                        break;
                    }

                    any = true;
                    Take(msg, ackable: false);
                    count++;
                }

                if (!any)
                {
                    break; // the rest no longer kept (MaxAge): nothing more to take
                }
            }
        }
        finally
        {
            try
            {
                await _js.DeleteConsumerAsync(NatsSettings.StreamName, name, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.GapConsumerLeft(_logger, name, ex.Message); // the server removes it after InactiveThreshold
            }
        }

        _intake.Taken = Math.Max(_intake.Taken, to);
        Log.GapTaken(_logger, from, to, count);
    }

    private static partial class Log
    {
        [LoggerMessage(1304, LogLevel.Information, "Frames {From}..{To} skipped by the consumer's delivery were read directly ({Count} kept in the stream).")]
        public static partial void GapTaken(ILogger logger, ulong from, ulong to, long count);

        [LoggerMessage(1305, LogLevel.Warning, "The gap consumer {Name} could not be deleted ({Reason}); the server removes it within a minute.")]
        public static partial void GapConsumerLeft(ILogger logger, string name, string reason);
    }
}
