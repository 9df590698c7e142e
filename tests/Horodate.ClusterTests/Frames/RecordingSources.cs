using Horodate.Core.Durability;

namespace Horodate.ClusterTests.Frames;

/// <summary>An ingest path that records what the root's frame intake asks of it, one line per call.</summary>
internal sealed class RecordingSources : IIngestSources
{
    private int _next;

    public List<string> Calls { get; } = [];

    public Dictionary<int, IAckTarget> Targets { get; } = [];

    public int OpenSource()
    {
        Calls.Add($"open {_next}");
        return _next++;
    }

    public int OpenSource(long heldFromMs)
    {
        Calls.Add($"open {_next} from {heldFromMs}");
        return _next++;
    }

    public void Ingest(int source, ReadOnlySpan<long> values) => Calls.Add($"ingest {source}: {string.Join(' ', values.ToArray())}");

    public void FinishSource(int source) => Calls.Add($"finish {source}");

    public void CloseSource(int source) => Calls.Add($"close {source}");

    public void EnableAcks(int source, string? clientId, IAckTarget target) => Targets[source] = target;
}
