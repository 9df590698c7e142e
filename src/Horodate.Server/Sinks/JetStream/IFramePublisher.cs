using System.Text;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Horodate.Server.Sinks.JetStream;

/// <summary>The seam an edge's frames leave by: JetStream in production, a fake in tests.</summary>
internal interface IFramePublisher
{
    /// <summary>
    /// Publishes one frame; completes with its stream sequence when JetStream's PubAck has arrived (a duplicate's: the
    /// sequence of the copy that landed), faults (<see cref="IOException"/>) when
    /// JetStream refused it (<see cref="FrameClaimLostException"/>: <paramref name="expectedLast"/> was not the
    /// subject's last sequence). A frame whose task never completes may or may not have landed.
    /// </summary>
    /// <param name="subject">The edge's subject.</param>
    /// <param name="payload">The frame's lines.</param>
    /// <param name="msgId">Its <c>Nats-Msg-Id</c>.</param>
    /// <param name="headers">Its headers (<see cref="Frame.Headers"/>).</param>
    /// <param name="expectedLast">When set, JetStream takes the frame only if the subject's last frame has this stream sequence (0: none).</param>
    Task<ulong> PublishAsync(string subject, byte[] payload, string msgId, NatsHeaders headers, ulong? expectedLast = null);

    /// <summary>The last frame on <paramref name="subject"/> (<see cref="LastFrame.None"/> when the stream holds none).</summary>
    Task<LastFrame> LastAsync(string subject);
}

/// <summary>
/// The last frame on an edge's subject: its stream sequence (0: none), its life, incarnation and number (0: none, or a
/// frame from before the headers); and, read after it, the stream's last sequence on any subject (<see cref="StreamEnd"/>).
/// </summary>
internal readonly record struct LastFrame(ulong Sequence, long Life, long Incarnation, long Number, ulong StreamEnd = 0)
{
    /// <summary>No frame on the subject.</summary>
    public static readonly LastFrame None;

    /// <summary>
    /// The number of a life claimed onto this frame: one more than its life; on a subject with no frame (the edge's
    /// first life, or one after all its frames aged out of the stream, a root up meanwhile still knowing the earlier
    /// lives), one more than <see cref="StreamEnd"/>. That is above every earlier life's number: a life's number is never
    /// above its claim's stream sequence (a claimed number is the stream's end plus one, or one more than the previous
    /// life's, whose claim landed earlier in the stream), and every earlier claim is in <see cref="StreamEnd"/>.
    /// </summary>
    public long NextLife => Sequence == 0 ? (long)StreamEnd + 1 : Life + 1;
}

/// <summary>JetStream refused a frame: another frame of the edge landed after the one this life knows as its subject's last.</summary>
internal sealed class FrameClaimLostException(string message) : IOException(message);

/// <summary>Another process claimed a life of this edge after this one's (<see cref="FrameSequence.Superseded"/>): this life must stop.</summary>
internal sealed class EdgeSupersededException(string edgeId, long life)
    : IOException($"another process publishes as edge {edgeId} (a life claimed after this one's, life {life}): this edge stops; is --edge-id unique?");

/// <summary>Frames published to JetStream, with <c>Nats-Msg-Id</c> so that a republished frame is dropped as a duplicate.</summary>
internal sealed class JetStreamFramePublisher(INatsJSContext js) : IFramePublisher
{
    /// <summary>JetStream's error code for a publish whose expected last subject sequence was not the subject's last.</summary>
    private const int WrongLastSequence = 10071;

    /// <summary>JetStream's error code for a message get that found none.</summary>
    private const int NoMessageFound = 10037;

    /// <inheritdoc />
    public async Task<ulong> PublishAsync(string subject, byte[] payload, string msgId, NatsHeaders headers, ulong? expectedLast = null)
    {
        var ack = await js.PublishAsync(subject, payload, opts: new NatsJSPubOpts { MsgId = msgId, ExpectedLastSubjectSequence = expectedLast }, headers: headers).ConfigureAwait(false);
        if (ack.Error is { } error)
        {
            var text = $"JetStream refused frame {msgId}: {error.Description} ({error.Code}).";
            throw error.ErrCode == WrongLastSequence ? new FrameClaimLostException(text) : new IOException(text);
        }

        return ack.Seq;
    }

    /// <inheritdoc />
    public async Task<LastFrame> LastAsync(string subject)
    {
        try
        {
            var stream = await js.GetStreamAsync(NatsSettings.StreamName).ConfigureAwait(false);
            if (await LastBySubjectAsync(stream, subject).ConfigureAwait(false) is not { } last)
            {
                // The stream's end read after the get: every frame the subject ever held landed before it (LastFrame.NextLife).
                await stream.RefreshAsync().ConfigureAwait(false);
                return LastFrame.None with { StreamEnd = stream.Info.State.LastSeq };
            }

            var headers = last.Message.Hdrs is { Length: > 0 } raw ? Encoding.UTF8.GetString(Convert.FromBase64String(raw)) : "";
            return new LastFrame(last.Message.Seq, Frame.Number(headers, Frame.LifeHeader), Frame.Number(headers, Frame.IncarnationHeader), Frame.Number(headers, Frame.NumberHeader));
        }
        catch (NatsJSException ex)
        {
            throw new IOException($"Reading the last frame on {subject} failed: {ex.Message}", ex);
        }
    }

    private static async Task<StreamMsgGetResponse?> LastBySubjectAsync(INatsJSStream stream, string subject)
    {
        try
        {
            return await stream.GetAsync(new StreamMsgGetRequest { LastBySubj = subject }).ConfigureAwait(false);
        }
        catch (NatsJSApiException ex) when (ex.Error.ErrCode == NoMessageFound)
        {
            return null;
        }
    }
}
