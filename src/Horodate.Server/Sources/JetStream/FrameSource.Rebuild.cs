using Horodate.Server.Sinks.JetStream;
using NATS.Client.JetStream;

namespace Horodate.Server.Sources.JetStream;

/// <summary>
/// <c>root --rebuild</c>: every frame the stream still keeps (its age limit, default 1 h), replayed in stream order
/// through an ordered consumer of its own (the live root's durable consumer is untouched) into the same pipeline, on
/// the <see cref="ReplayClock"/>; nothing is acknowledged. The replay ends at the stream's last frame at the start.
/// </summary>
internal sealed partial class FrameSource
{
    /// <summary>Replays the stream up to its last frame now; completes once every such frame is taken.</summary>
    public async Task RebuildAsync(ReplayClock clock, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(clock);
        var stream = await _js.GetStreamAsync(NatsSettings.StreamName, cancellationToken: cancel).ConfigureAwait(false);
        var last = stream.Info.State.LastSeq;
        _acknowledge = Task.Run(() => AcknowledgeLoopAsync(_stop.Token), CancellationToken.None); // closes late frames' sources
        if (last == 0 || stream.Info.State.Messages == 0)
        {
            return;
        }

        var replay = await _js.CreateOrderedConsumerAsync(NatsSettings.StreamName, cancellationToken: cancel).ConfigureAwait(false);
        await foreach (var msg in replay.ConsumeAsync<byte[]>(cancellationToken: cancel).ConfigureAwait(false))
        {
            if (msg.Metadata is { } metadata)
            {
                clock.Advance(metadata.Timestamp);
            }

            Take(msg, ackable: false);
            if ((msg.Metadata?.Sequence.Stream ?? 0) >= last)
            {
                break;
            }
        }
    }
}
