namespace Horodate.Core.Durability;

/// <summary>Merges the acknowledgements of sync requests that a slow fsync made wait for the same sync.</summary>
internal static class PendingAcks
{
    /// <summary>
    /// Adds <paramref name="more"/> to <paramref name="into"/>, one entry per acknowledged source: the highest value,
    /// final if either was. Requests merge while an fsync hangs (one per flush interval); appending would grow the
    /// list by every acknowledged source at every flush for as long as it hangs. Merged, it holds at most one entry
    /// per source acknowledged meanwhile, and completing it does what completing each in turn would (marks only rise).
    /// </summary>
    public static void Merge(List<AckTracker.Pending> into, List<AckTracker.Pending> more)
    {
        if (more.Count == 0)
        {
            return;
        }

        var index = new Dictionary<AckTracker.Entry, int>(into.Count + more.Count, ReferenceEqualityComparer.Instance);
        for (var i = 0; i < into.Count; i++)
        {
            index[into[i].Entry] = i;
        }

        foreach (var pending in more)
        {
            if (index.TryGetValue(pending.Entry, out var at))
            {
                var held = into[at];
                into[at] = new AckTracker.Pending(held.Entry, Math.Max(held.Value, pending.Value), held.Final || pending.Final);
            }
            else
            {
                index[pending.Entry] = into.Count;
                into.Add(pending);
            }
        }
    }
}
