namespace Horodate.Server.Pipeline;

/// <summary>
/// An acknowledgement to send: every value ≤ <see cref="Value"/> from <see cref="Connection"/> is durable. It
/// carries the transport's own connection object, not the engine's source id: ids are reused after a close,
/// and an acknowledgement must never reach a client that did not earn it.
/// </summary>
internal readonly record struct Ack(object Connection, long Value, string? ClientId);

/// <summary>
/// Sends acknowledgements to acknowledged clients; implemented by each transport. Called on the writer
/// thread after the fsync that made the values durable. Must not block: a client that does not read its
/// acknowledgements simply gets a later, cumulative one.
/// </summary>
internal interface IAcknowledger
{
    void Acknowledge(IReadOnlyList<Ack> acks);
}
