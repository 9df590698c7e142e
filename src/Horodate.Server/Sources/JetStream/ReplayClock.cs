namespace Horodate.Server.Sources.JetStream;

/// <summary>
/// The engine's clock during <c>root --rebuild</c>: the time JetStream stored the newest frame replayed so far (set back
/// by the balancer's allowance, as the live root's clock is), wall and monotonic alike. The live root took each frame a
/// few milliseconds after it was stored, so on this clock the replay's ordering engine sees the frames as the live root
/// did (idle timeouts, max-delay, new edges' hold points), however fast they are replayed. Before the first frame: the
/// Unix epoch. Never goes back.
/// </summary>
internal sealed class ReplayClock : TimeProvider
{
    private long _utcTicks = DateTimeOffset.UnixEpoch.UtcTicks;

    /// <summary>Moves the clock to <paramref name="stored"/> (a frame's time in the stream), if that is later.</summary>
    public void Advance(DateTimeOffset stored)
    {
        var ticks = (stored - BalancerAllowance.Allowance).UtcTicks;
        long seen;
        while (ticks > (seen = Volatile.Read(ref _utcTicks)) && Interlocked.CompareExchange(ref _utcTicks, ticks, seen) != seen)
        {
        }
    }

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => new(Volatile.Read(ref _utcTicks), TimeSpan.Zero);

    /// <inheritdoc />
    public override long GetTimestamp() => Volatile.Read(ref _utcTicks);

    /// <inheritdoc />
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;
}
