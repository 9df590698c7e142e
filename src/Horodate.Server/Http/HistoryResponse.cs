using Horodate.Server.Status;

namespace Horodate.Server.Http;

/// <summary>What <c>/history</c> returns: who is talking, and the samples after the time asked for.</summary>
internal sealed record HistoryResponse
{
    /// <summary>When this server started, in Unix ms: a page that sees it change knows the server restarted.</summary>
    public required long StartedAt { get; init; }

    public required long IntervalMs { get; init; }

    /// <summary>The ordered output file, as a full path.</summary>
    public required string Output { get; init; }

    public required string Transport { get; init; }

    public required IReadOnlyList<string> Listen { get; init; }

    public required StatusSample[] Samples { get; init; }
}
