namespace Horodate.Core.Durability;

/// <summary>
/// Where an acknowledgement goes: one acknowledged connection. Implemented by each transport's connection.
/// </summary>
public interface IAckTarget
{
    /// <summary>
    /// Tries to send <c>ACK value</c> (every value ≤ <paramref name="value"/> is durable). Must not block.
    /// Returns true once the whole line is handed to the connection (queued whole, never torn); false when it
    /// could not be sent now (a full socket buffer): it is offered again, cumulatively, at the next sync.
    /// </summary>
    bool TryDeliver(long value);
}

/// <summary>
/// The acknowledgement state machine: for each acknowledged source, what is durable and what the client
/// was told. A mark moves only after the batch holding its values was written and synced (never at
/// collection), and an acknowledgement is offered again until its target takes it whole.
/// </summary>
/// <remarks>
/// <see cref="Enable"/>, <see cref="Disable"/> and <see cref="Collect"/> run under the ingest lock (they meet
/// the engine); <see cref="Complete"/> runs where the sync ran. The marks only rise, so a stale read only
/// repeats an acknowledgement.
/// </remarks>
public sealed class AckTracker
{
    private readonly Dictionary<int, Entry> _entries = [];

    /// <summary>One acknowledged source.</summary>
    public sealed class Entry(IAckTarget target, string? clientId)
    {
        private long _durable = -1;
        private long _delivered = -1;

        /// <summary>The connection to tell.</summary>
        public IAckTarget Target { get; } = target;

        /// <summary>The client's name across reconnects, if it gave one (the journal's key).</summary>
        public string? ClientId { get; } = clientId;

        /// <summary>Every value ≤ this, from this source, is durable.</summary>
        public long Durable => Volatile.Read(ref _durable);

        /// <summary>The last acknowledgement the target took whole.</summary>
        public long Delivered => Volatile.Read(ref _delivered);

        /// <summary>Set when the source is forgotten: nothing more is sent to it.</summary>
        public bool Closed { get; internal set; }

        internal void MarkDurable(long value)
        {
            if (value > _durable)
            {
                Volatile.Write(ref _durable, value);
            }
        }

        internal void Deliver()
        {
            var durable = Durable;
            if (durable > _delivered && !Closed && Target.TryDeliver(durable))
            {
                Volatile.Write(ref _delivered, durable);
            }
        }
    }

    /// <summary>An acknowledgement that becomes true once the batch it rides with is written and synced.</summary>
    public readonly record struct Pending(Entry Entry, long Value);

    /// <summary>Acknowledged sources right now.</summary>
    public int Count => _entries.Count;

    /// <summary>Acknowledges <paramref name="source"/> from now on.</summary>
    public void Enable(int source, string? clientId, IAckTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        Disable(source);
        _entries[source] = new Entry(target, clientId);
    }

    /// <summary>Stops acknowledging <paramref name="source"/>.</summary>
    public void Disable(int source)
    {
        if (_entries.Remove(source, out var entry))
        {
            entry.Closed = true;
        }
    }

    /// <summary>
    /// Right after the engine advanced and its output was taken for writing: what each source can be told once
    /// that output is written and synced (<paramref name="ackPoint"/>), and what it was not yet told whole.
    /// </summary>
    public void Collect(Func<int, long> ackPoint, List<Pending> into)
    {
        ArgumentNullException.ThrowIfNull(ackPoint);
        ArgumentNullException.ThrowIfNull(into);
        foreach (var (source, entry) in _entries)
        {
            var point = ackPoint(source);
            var durable = entry.Durable;
            if (point > durable || entry.Delivered < durable)
            {
                into.Add(new Pending(entry, Math.Max(point, durable)));
            }
        }
    }

    /// <summary>Per named client, the highest newly durable mark in <paramref name="pending"/> (what the journal records).</summary>
    public static Dictionary<string, long> Marks(List<Pending> pending)
    {
        ArgumentNullException.ThrowIfNull(pending);
        var marks = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (entry, value) in pending)
        {
            if (entry.ClientId is { } id && value > entry.Durable && (!marks.TryGetValue(id, out var seen) || value > seen))
            {
                marks[id] = value;
            }
        }

        return marks;
    }

    /// <summary>The sync that covered <paramref name="pending"/> succeeded: raise the marks and send.</summary>
    public static void Complete(List<Pending> pending)
    {
        ArgumentNullException.ThrowIfNull(pending);
        foreach (var (entry, value) in pending)
        {
            entry.MarkDurable(value);
        }

        foreach (var (entry, _) in pending)
        {
            entry.Deliver();
        }
    }
}
