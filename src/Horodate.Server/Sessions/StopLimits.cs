namespace Horodate.Server.Sessions;

/// <summary>The bounds of a graceful stop that every transport honours alike.</summary>
internal static class StopLimits
{
    /// <summary>
    /// At a stop, connections are read until they have been quiet this long: bytes already in flight arrive
    /// within microseconds on loopback and within a round trip elsewhere.
    /// </summary>
    public static readonly TimeSpan DrainQuiet = TimeSpan.FromMilliseconds(20);

    /// <summary>Peers that never go quiet are read for this long after the stop, no longer.</summary>
    public static readonly TimeSpan DrainMax = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// How long the last acknowledgements may take to reach the clients once the connections close (a peer
    /// that does not read). The epoll transport sends without blocking and never waits that long.
    /// </summary>
    public static readonly TimeSpan AckFlushMax = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long the final write of a stop is retried while it fails (a full disk, an edge's nats-server down), from
    /// the first attempt: a few seconds for the disk to come back, bounded whatever one attempt takes (an edge's
    /// attempt waits up to its 5 s publish timeout). What is still unwritten then was never acknowledged: clients
    /// that acknowledge resend it to the next server; a plain client's values are lost, and the stop says how many bytes.
    /// </summary>
    public static readonly TimeSpan FinalWriteMax = TimeSpan.FromSeconds(5);
}
