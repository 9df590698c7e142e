namespace Horodate.Core.Durability;

/// <summary>
/// The sources side of the ingest path: what hands values to the ordering engine (a connection's session on a
/// server, an edge's frames on the root). <see cref="IngestCore"/> itself (driven step by step, as the simulator does)
/// and the server's pipeline (which also wakes its writer) both offer it.
/// </summary>
public interface IIngestSources
{
    /// <summary>Registers a source; it holds the watermark from now until its first value.</summary>
    int OpenSource();

    /// <summary>
    /// Registers a source that holds the watermark from <paramref name="heldFromMs"/> (Unix ms) if that is earlier than
    /// now: one whose first values may have been stamped before it is known here (an edge's, opened when its frame is
    /// taken, its clients stamping since the frame's time in the stream).
    /// </summary>
    int OpenSource(long heldFromMs);

    /// <summary>Hands over values of one source, in the order received.</summary>
    void Ingest(int source, ReadOnlySpan<long> values);

    /// <summary>The source stops holding the watermark at once; an acknowledged one gets its final acknowledgement once durable.</summary>
    void FinishSource(int source);

    /// <summary>Forgets a source: it no longer holds the watermark, and is no longer acknowledged.</summary>
    void CloseSource(int source);

    /// <summary>Acknowledges <paramref name="source"/> from now on, to <paramref name="target"/>.</summary>
    void EnableAcks(int source, string? clientId, IAckTarget target);
}
