namespace Horodate.Server.Sinks.JetStream;

/// <summary>
/// The edge's clock for its ordering engine: the wall clock set back by <see cref="Allowance"/>. Behind a balancer a
/// client's first values can be stamped before the edge accepts the connection (HAProxy accepts the client, then
/// connects to the edge, and a ramp of thousands of connections queues those accepts): a new connection holds the
/// edge's output at the engine's clock from its accept, so with the plain clock those first values would be late.
/// The root runs on the same clock: an edge that becomes active (its first connection) opens a source at the root, which
/// holds the root's output from the root's clock at that moment, a few milliseconds after the edge's accept.
/// The monotonic clock (idle timeout, max-delay, sync cadence) is untouched; the wall clock only decides the new
/// connection's hold point, <c>--max-future</c> (which becomes that much wider) and the lag figures (that much lower).
/// </summary>
internal sealed class BalancerAllowance(TimeProvider inner) : TimeProvider
{
    /// <summary>
    /// 250 ms: HAProxy's connect to an edge takes well under a millisecond on a LAN, but a 300-connection ramp on a
    /// loaded 2-core machine put first values up to ~100 ms before the edge's accept; 2.5× that.
    /// </summary>
    public static readonly TimeSpan Allowance = TimeSpan.FromMilliseconds(250);

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow() - Allowance;

    /// <inheritdoc />
    public override long GetTimestamp() => inner.GetTimestamp();

    /// <inheritdoc />
    public override long TimestampFrequency => inner.TimestampFrequency;

    /// <inheritdoc />
    public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;
}
