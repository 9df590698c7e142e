using Horodate.Core.Ordering;

namespace Horodate.Core.Durability;

/// <summary>
/// Keep-duplicates mode: the named clients' marks collected from the engine (<see cref="OrderingEngine.CollectClientMarks"/>)
/// and not yet in a journal record that was made durable. A failed sync loses none: each record carries every mark
/// still unrecorded, and a mark leaves only once a record holding it (or a higher one) is fsynced. At most one entry
/// per client the engine remembers.
/// </summary>
/// <remarks>Filled by the writer step (under the ingest lock), emptied by the sync step: it has its own lock.</remarks>
internal sealed class JournalMarks
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ClientMark> _unrecorded = new(StringComparer.Ordinal);

    /// <summary>Whether some mark waits for a durable record.</summary>
    public bool Pending
    {
        get
        {
            lock (_lock)
            {
                return _unrecorded.Count != 0;
            }
        }
    }

    /// <summary>Adds marks just collected (each raised to the highest seen for its client).</summary>
    public void Add(List<KeyValuePair<string, ClientMark>> marks)
    {
        lock (_lock)
        {
            foreach (var (id, mark) in marks)
            {
                _unrecorded[id] = _unrecorded.TryGetValue(id, out var seen) ? ClientMark.Max(seen, mark) : mark;
            }
        }
    }

    /// <summary>Every mark not yet recorded: what the next record carries.</summary>
    public List<KeyValuePair<string, ClientMark>> Unrecorded()
    {
        lock (_lock)
        {
            return [.. _unrecorded];
        }
    }

    /// <summary>A record holding <paramref name="recorded"/> is durable: those marks (unless raised since) are done.</summary>
    public void Recorded(List<KeyValuePair<string, ClientMark>> recorded)
    {
        lock (_lock)
        {
            foreach (var (id, mark) in recorded)
            {
                if (_unrecorded.TryGetValue(id, out var seen) && ClientMark.Max(seen, mark) == mark)
                {
                    _ = _unrecorded.Remove(id);
                }
            }
        }
    }
}
