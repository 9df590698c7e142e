using Horodate.Server.Sinks.JetStream;
using NATS.Client.Core;

namespace Horodate.Server.Sources.JetStream;

/// <summary>
/// A frame as the root takes it: its stream sequence, the headers the edge gave it (<see cref="Frame.Headers"/>),
/// its payload, and the handle its acknowledgement goes through (JetStream's message; the simulator's own).
/// </summary>
/// <param name="Sequence">The frame's stream sequence (0 when unknown).</param>
/// <param name="Edge">The edge that published it (none: not a frame, dropped).</param>
/// <param name="Kind">One of <see cref="Frame"/>'s kinds.</param>
/// <param name="Life">The edge's life number (0: an edge from before the life numbers).</param>
/// <param name="Incarnation">The edge's life's identity (0: an edge from before the numbers).</param>
/// <param name="Number">The frame's number in that life (0: an edge from before the numbers).</param>
/// <param name="Data">The frame's lines.</param>
/// <param name="Handle">What acknowledging the frame goes through.</param>
/// <param name="Stored">When JetStream stored the frame (its clock), if known.</param>
internal readonly record struct FrameMessage(ulong Sequence, string? Edge, string? Kind, long Life, long Incarnation, long Number, ReadOnlyMemory<byte> Data, object Handle, DateTimeOffset? Stored)
{
    /// <summary>The frame of stream sequence <paramref name="sequence"/>, stored at <paramref name="stored"/>, with <paramref name="headers"/> and <paramref name="data"/>.</summary>
    public static FrameMessage From(ulong sequence, DateTimeOffset? stored, NatsHeaders? headers, ReadOnlyMemory<byte> data, object handle) => new(
        sequence,
        headers is not null && headers.TryGetValue(Frame.EdgeHeader, out var edge) ? edge.ToString() : null,
        headers is not null && headers.TryGetValue(Frame.KindHeader, out var kind) ? kind.ToString() : null,
        Frame.Number(headers, Frame.LifeHeader),
        Frame.Number(headers, Frame.IncarnationHeader),
        Frame.Number(headers, Frame.NumberHeader),
        data,
        handle,
        stored);
}
