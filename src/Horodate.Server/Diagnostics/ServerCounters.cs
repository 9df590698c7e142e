using Horodate.Core.Protocol;

namespace Horodate.Server.Diagnostics;

/// <summary>Counters the connection handlers bump concurrently (the engine keeps its own under the pipeline lock).</summary>
internal sealed class ServerCounters
{
    private long _accepted;
    private long _closed;
    private long _closedForGarbage;
    private long _rejectedLines;

    public long Accepted => Volatile.Read(ref _accepted);

    public long Closed => Volatile.Read(ref _closed);

    public long ClosedForGarbage => Volatile.Read(ref _closedForGarbage);

    public long RejectedLines => Volatile.Read(ref _rejectedLines);

    public long Open => Accepted - Closed;

    public void ConnectionAccepted() => Interlocked.Increment(ref _accepted);

    public void ConnectionClosed(bool forGarbage)
    {
        Interlocked.Increment(ref _closed);
        if (forGarbage)
        {
            Interlocked.Increment(ref _closedForGarbage);
        }
    }

    public void LinesRejected(long count, LineStatus _) => Interlocked.Add(ref _rejectedLines, count);
}
