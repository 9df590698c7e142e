namespace Horodate.Server.Pipeline;

/// <summary>
/// An acknowledgement to send: every value ≤ <see cref="Value"/> from <see cref="Connection"/> is durable. It
/// carries the transport's own connection object, not the engine's source id: ids are reused after a close,
/// and an acknowledgement must never reach a client that did not earn it. <see cref="Final"/>: the client has
/// finished sending and this acknowledgement covers everything it sent (<see cref="Value"/> is -1 if it sent
/// nothing): the transport sends it, if any, then ends the connection.
/// </summary>
internal readonly record struct Ack(object Connection, long Value, string? ClientId, bool Final = false);

/// <summary>
/// Sends acknowledgements to acknowledged clients; implemented by each transport. Called on the writer
/// thread after the fsync that made the values durable. Must not block: a client that does not read its
/// acknowledgements simply gets a later, cumulative one.
/// </summary>
internal interface IAcknowledger
{
    void Acknowledge(IReadOnlyList<Ack> acks);
}
