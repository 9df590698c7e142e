namespace Horodate.Core.Ordering;

/// <summary>
/// How the <see cref="OrderingEngine"/> merges the sources. All durations are in milliseconds, the unit of
/// the values themselves.
/// </summary>
public sealed record OrderingOptions
{
    /// <summary>Store each distinct value once (default <see langword="true"/>); otherwise store every value received.</summary>
    public bool Dedupe { get; init; } = true;

    /// <summary>
    /// A source silent for this long stops holding the watermark back (default 1,000 ms: twenty 50 ms
    /// send intervals, so a source that misses a few sends keeps its place).
    /// </summary>
    public long IdleTimeoutMs { get; init; } = 1_000;

    /// <summary>
    /// A value more than this far ahead of the server's clock is rejected (default 10,000 ms). It bounds
    /// how far the buffered range can reach into the future.
    /// </summary>
    public long MaxFutureMs { get; init; } = 10_000;

    /// <summary>
    /// The longest a value may wait for a lagging but active source (default 5,000 ms): values older than
    /// <c>now - MaxDelayMs</c> are written even if a source still holds the watermark below them, and that
    /// source's older values then count as late. It bounds memory and output lag whatever a peer does.
    /// </summary>
    public long MaxDelayMs { get; init; } = 5_000;

    /// <summary>
    /// After resuming a file, how long the write point waits at the file's end before moving on (default
    /// 7,000 ms): clients that were connected before a restart reconnect and resend what was not
    /// acknowledged, and those values still land in order. The client's reconnect backoff reaches 5 s
    /// (+20% jitter: 6 s); one more second lets the resends arrive.
    /// </summary>
    public long ResumeGraceMs { get; init; } = 7_000;

    /// <summary>
    /// The longest outage (from the file's last value to the restart) after which the write point still
    /// waits at the file's end, so that clients' resends land in order (default 20,000 ms; the client
    /// keeps 60 s of unacknowledged sending). It sizes the engine's rings: each millisecond costs 8 bytes.
    /// </summary>
    public long ResumeOutageMs { get; init; } = 20_000;

    /// <summary>
    /// How far behind the write point a late value can still be recognised as a duplicate, in dedupe mode
    /// (default 2^20 ms ≈ 17.5 min, 128 KiB of bits). Older late values are stored as late without the check.
    /// </summary>
    public int DedupeHistoryBits { get; init; } = 20;

    /// <summary>Checks the options and throws <see cref="ArgumentOutOfRangeException"/> naming the first bad one.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(IdleTimeoutMs);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxFutureMs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxDelayMs);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxFutureMs, 3_600_000L);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxDelayMs, 3_600_000L);
        ArgumentOutOfRangeException.ThrowIfNegative(ResumeGraceMs);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ResumeGraceMs, 3_600_000L);
        ArgumentOutOfRangeException.ThrowIfNegative(ResumeOutageMs);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ResumeOutageMs, 3_600_000L);
        ArgumentOutOfRangeException.ThrowIfLessThan(DedupeHistoryBits, 6);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(DedupeHistoryBits, 30);
    }
}
