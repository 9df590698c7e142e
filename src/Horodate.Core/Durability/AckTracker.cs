using System.Diagnostics;

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

    /// <summary>
    /// The client finished sending (it half-closed) and everything it sent is durable: tries to send
    /// <c>ACK value</c> when <paramref name="value"/> ≥ 0 (the last acknowledgement, not yet taken whole; -1 when
    /// none is left to send: it sent nothing, or was already told everything), then to end the connection.
    /// Must not block. Returns true once the line (if any) is handed over whole and the end is under way; false
    /// when not now: it is offered again at the next sync.
    /// </summary>
    bool TryDeliverFinal(long value);
}

/// <summary>
/// Where an acknowledged source stands; it only moves forward. A source that half-closed is
/// <see cref="Finishing"/> until everything it sent is written (settled), then its final acknowledgement
/// rides with the next sync (<see cref="FinalCollected"/>), is durable (<see cref="FinalDurable"/>) and,
/// once its target takes it, <see cref="Ended"/>. A failed write or sync, or a target that cannot take it
/// now, leaves it where it is: it is collected and offered again, like any acknowledgement.
/// </summary>
public enum AckStage
{
    /// <summary>The client is sending.</summary>
    Sending,

    /// <summary>The client finished sending; some of its values are not yet written.</summary>
    Finishing,

    /// <summary>Its values are all written; the final acknowledgement rides with a sync.</summary>
    FinalCollected,

    /// <summary>The final acknowledgement is durable; its target has not taken it yet.</summary>
    FinalDurable,

    /// <summary>The final acknowledgement was taken: nothing more is sent.</summary>
    Ended,
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

    /// <summary>Entries at <see cref="AckStage.Finishing"/>: <see cref="FinalDue"/>, asked at every flush, walks none while it is 0.</summary>
    private int _finishing;

    /// <summary>One acknowledged source.</summary>
    public sealed class Entry(IAckTarget target, string? clientId)
    {
        private long _durable = -1;
        private long _delivered = -1;
        private int _stage; // an AckStage: moved by the ingest lock's holder up to FinalCollected, beyond by the sync step

        /// <summary>The connection to tell.</summary>
        public IAckTarget Target { get; } = target;

        /// <summary>The client's name across reconnects, if it gave one (the journal's key).</summary>
        public string? ClientId { get; } = clientId;

        /// <summary>Every value ≤ this, from this source, is durable.</summary>
        public long Durable => Volatile.Read(ref _durable);

        /// <summary>The last acknowledgement the target took whole.</summary>
        public long Delivered => Volatile.Read(ref _delivered);

        /// <summary>
        /// When this source's next periodic acknowledgement is due (monotonic ms); <see cref="long.MinValue"/> until
        /// its first, which the first sync gives. Moved under the ingest lock by <see cref="Collect"/>.
        /// </summary>
        internal long NextPeriodicMs { get; set; } = long.MinValue;

        /// <summary>Set when the source is forgotten: nothing more is sent to it.</summary>
        public bool Closed { get; internal set; }

        /// <summary>Where the source stands in its ending (<see cref="AckStage.Sending"/> until it half-closes).</summary>
        public AckStage Stage => (AckStage)Volatile.Read(ref _stage);

        /// <summary>Moves the stage forward to <paramref name="stage"/> (never back); false when it was already there or beyond.</summary>
        internal bool Raise(AckStage stage)
        {
            int seen;
            while ((seen = Volatile.Read(ref _stage)) < (int)stage)
            {
                if (Interlocked.CompareExchange(ref _stage, (int)stage, seen) == seen)
                {
                    return true;
                }
            }

            return false;
        }

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
            if (Closed)
            {
                return;
            }

            if (Stage == AckStage.FinalDurable)
            {
                if (Target.TryDeliverFinal(durable > _delivered ? durable : -1))
                {
                    Volatile.Write(ref _delivered, Math.Max(durable, _delivered));
                    Raise(AckStage.Ended);
                }
            }
            else if (durable > _delivered && Target.TryDeliver(durable))
            {
                Volatile.Write(ref _delivered, durable);
            }
        }
    }

    /// <summary>
    /// An acknowledgement that becomes true once the batch it rides with is written and synced.
    /// <paramref name="Final"/>: it covers everything its finished source sent; its target then ends the connection.
    /// </summary>
    public readonly record struct Pending(Entry Entry, long Value, bool Final = false);

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
            if (entry.Stage == AckStage.Finishing)
            {
                _finishing--;
                Debug.Assert(_finishing >= 0, "more entries left Finishing than entered it");
            }
        }
    }

    /// <summary>
    /// The client on <paramref name="source"/> finished sending (it half-closed): once everything it sent is
    /// written (settled), its next acknowledgement is the final one (<see cref="AckStage"/>).
    /// </summary>
    public void Finish(int source)
    {
        if (_entries.TryGetValue(source, out var entry) && entry.Raise(AckStage.Finishing))
        {
            _finishing++;
        }
    }

    /// <summary>
    /// Whether a finished source has just become settled (<paramref name="settled"/>): it waits for one sync
    /// only, its final acknowledgement's, which need not wait out the interval.
    /// </summary>
    public bool FinalDue(Func<int, bool> settled)
    {
        ArgumentNullException.ThrowIfNull(settled);
        if (_finishing == 0)
        {
            return false;
        }

        foreach (var (source, entry) in _entries)
        {
            if (entry.Stage == AckStage.Finishing && settled(source))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Right after the engine advanced and its output was taken for writing: what each source can be told once
    /// that output is written and synced (<paramref name="ackPoint"/>), and what it was not yet told whole; for a
    /// finished source whose values are all taken (<paramref name="settled"/>), the final acknowledgement. A
    /// sending source is told what is new at most once per <paramref name="intervalMs"/> (0: at every call).
    /// </summary>
    /// <remarks>
    /// The periodic acknowledgements are spread over the interval, not given to every source at the same sync:
    /// a source's first comes at the first sync, and its next at a phase of the interval drawn from its number
    /// (Fibonacci hashing, so that consecutive sources fall far apart), then one interval after the other. With
    /// thousands of connections opened together, acknowledging all of them at once made one burst of sends here
    /// and of reads in the clients every interval (the clients' send lateness p99 rose to 30–60 ms in that second).
    /// </remarks>
    public void Collect(Func<int, long> ackPoint, Func<int, bool> settled, List<Pending> into, long nowMs, long intervalMs)
    {
        ArgumentNullException.ThrowIfNull(ackPoint);
        ArgumentNullException.ThrowIfNull(settled);
        ArgumentNullException.ThrowIfNull(into);
        foreach (var (source, entry) in _entries)
        {
            var point = ackPoint(source);
            var durable = entry.Durable;
            var stage = entry.Stage;
            if ((stage is AckStage.Finishing or AckStage.FinalCollected or AckStage.FinalDurable) && settled(source))
            {
                if (entry.Raise(AckStage.FinalCollected) && stage == AckStage.Finishing)
                {
                    _finishing--;
                    Debug.Assert(_finishing >= 0, "more entries left Finishing than entered it");
                }

                into.Add(new Pending(entry, Math.Max(point, durable), Final: true));
            }
            else if (point > durable && nowMs >= entry.NextPeriodicMs)
            {
                entry.NextPeriodicMs = NextPeriodic(entry.NextPeriodicMs, source, nowMs, intervalMs);
                into.Add(new Pending(entry, point));
            }
            else if (entry.Delivered < durable)
            {
                into.Add(new Pending(entry, durable));
            }
        }
    }

    private static long NextPeriodic(long previous, int source, long nowMs, long intervalMs)
    {
        var next = previous == long.MinValue
            ? nowMs + (long)((uint)source * 2654435769u / 4294967296.0 * intervalMs) // the source's phase in the interval
            : previous + intervalMs;
        return next > nowMs ? next : nowMs + intervalMs; // a sync that came late does not make the next one early
    }

    /// <summary>The sync that covered <paramref name="pending"/> succeeded: raise the marks and send.</summary>
    public static void Complete(List<Pending> pending)
    {
        ArgumentNullException.ThrowIfNull(pending);
        foreach (var (entry, value, final) in pending)
        {
            entry.MarkDurable(value);
            if (final)
            {
                entry.Raise(AckStage.FinalDurable);
            }
        }

        foreach (var (entry, _, _) in pending)
        {
            entry.Deliver();
        }
    }
}
