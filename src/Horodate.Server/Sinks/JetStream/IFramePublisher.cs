using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Horodate.Server.Sinks.JetStream;

/// <summary>The seam an edge's frames leave by: JetStream in production, a fake in tests.</summary>
internal interface IFramePublisher
{
    /// <summary>
    /// Publishes one frame; completes when JetStream's PubAck has arrived, faults (<see cref="IOException"/>) when
    /// JetStream refused it. A frame whose task never completes may or may not have landed.
    /// </summary>
    Task PublishAsync(string subject, byte[] payload, string msgId, NatsHeaders headers);
}

/// <summary>Frames published to JetStream, with <c>Nats-Msg-Id</c> so that a republished frame is dropped as a duplicate.</summary>
internal sealed class JetStreamFramePublisher(INatsJSContext js) : IFramePublisher
{
    /// <inheritdoc />
    public async Task PublishAsync(string subject, byte[] payload, string msgId, NatsHeaders headers)
    {
        var ack = await js.PublishAsync(subject, payload, opts: new NatsJSPubOpts { MsgId = msgId }, headers: headers).ConfigureAwait(false);
        if (ack.Error is { } error)
        {
            throw new IOException($"JetStream refused frame {msgId}: {error.Description} ({error.Code}).");
        }
    }
}
