namespace Horodate.Server.Sources.JetStream;

/// <summary>
/// The root's clock for its ordering engine: the wall clock set back by <see cref="Allowance"/>. An edge's source now
/// holds from its first frame's stream time less <see cref="Allowance"/> (<see cref="FrameIntake"/>: the skew between
/// nats-server's clock and the clients'), its clients greeted only after that frame's PubAck (causal, not timed); the
/// clock's own allowance below is what it was introduced for, kept for the hold of frames without a stream time. An edge's source opens
/// at the root when the edge's active frame (or its first frame of values) is taken, some time after the edge accepted
/// the connection whose values it announces: the edge's check (10 ms), the frame's publish (behind any frame the edge's
/// sequence is publishing), JetStream's delivery and the root's turn. The new source holds the root's output from the
/// root's clock at that moment, so with the plain clock the connection's first values (stamped after the edge's OK, so
/// not before its accept) would be late by that delay.
/// The edges run on the plain clock: an acknowledged client stamps its first value only after the edge's OK, and so
/// after the edge opened its source, balancer or not (a plain client behind a balancer stamps before the edge accepts
/// its connection: its first values can be late at the edge). The monotonic clock (idle timeout, max-delay, sync
/// cadence) is untouched; the wall clock only decides a new source's hold point, <c>--max-future</c> (which becomes
/// that much wider) and the root's lag figures (that much lower).
/// </summary>
internal sealed class BalancerAllowance(TimeProvider inner) : TimeProvider
{
    /// <summary>
    /// 250 ms: the active frame's way to the root takes milliseconds on an idle LAN, but on a loaded 2-core machine a
    /// process waits ~100 ms for a core at a time (measured for the balancer's accepts, which this allowance first
    /// covered); 2.5× that.
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
