namespace Horodate.Server.Hosting;

/// <summary>Why a server stopped serving on its own (a critical error, logged), and the exit code that says so.</summary>
/// <param name="Reason">One sentence for the operator: what failed, what it means for the data.</param>
/// <param name="ExitCode">What <c>horodate-server</c> exits with.</param>
public sealed record ServerFailure(string Reason, int ExitCode)
{
    /// <summary>The transport can no longer read its connections (a failed <c>epoll_wait</c>).</summary>
    public const int TransportFailedExitCode = 1;

    /// <summary>An fsync failed: nothing past the last good one is acknowledged.</summary>
    public const int SyncFailedExitCode = 3;

    /// <summary>An edge found another process publishing under its id, after it (two edges with one <c>--edge-id</c>).</summary>
    public const int EdgeSupersededExitCode = 4;
}
