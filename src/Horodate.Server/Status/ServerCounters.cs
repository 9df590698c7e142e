namespace Horodate.Server.Status;

/// <summary>
/// Counters the connection handlers bump concurrently, without a lock (the engine and the writer keep theirs under
/// the pipeline's locks); <see cref="StatusSource"/> reads all of them into one <see cref="ServerStatus"/>.
/// </summary>
internal sealed class ServerCounters
{
    private long _accepted;
    private long _closed;
    private long _closedForGarbage;
    private long _rejectedLines;
    private long _refused;
    private long _closedIdle;

    public long Accepted => Volatile.Read(ref _accepted);

    public long Closed => Volatile.Read(ref _closed);

    public long ClosedForGarbage => Volatile.Read(ref _closedForGarbage);

    public long RejectedLines => Volatile.Read(ref _rejectedLines);

    /// <summary>Connections refused at accept: not allowed, or over the maximum.</summary>
    public long Refused => Volatile.Read(ref _refused);

    /// <summary>Connections closed because they stayed silent past the read timeout.</summary>
    public long ClosedIdle => Volatile.Read(ref _closedIdle);

    public long Open => Accepted - Closed;

    public void ConnectionRefused() => Interlocked.Increment(ref _refused);

    public void ConnectionIdle() => Interlocked.Increment(ref _closedIdle);

    public void ConnectionAccepted() => Interlocked.Increment(ref _accepted);

    public void ConnectionClosed(bool forGarbage)
    {
        Interlocked.Increment(ref _closed);
        if (forGarbage)
        {
            Interlocked.Increment(ref _closedForGarbage);
        }
    }

    public void LinesRejected(long count) => Interlocked.Add(ref _rejectedLines, count);
}
