namespace Horodate.Client.Load;

internal sealed partial class ClientConnection
{
    private UnackedBuffer _unacked = new(unackedLimit, unackedCapacity); // a struct: changed in place, never copied
    private int _mode;
    private long _ackedThrough = -1;
    private long _lastKept = -1; // the newest value kept for a resend: all are acknowledged once the server's ACK reaches it

    // The send path's per-value checks read only this object's fields: the ring of unacknowledged values (another
    // object, and its oldest entry another cache line, each a cache miss per send at thousands of connections) is
    // trimmed only when an acknowledgement newer than the last trim came, and cleared only if it holds something.
    private long _trimmedThrough = -1; // every value kept is above it: trimming through it again would drop nothing
    private bool _holdsUnacked;

    public ServerMode Mode => (ServerMode)Volatile.Read(ref _mode);

    /// <summary>The server's latest acknowledgement: every value ≤ it is durably stored.</summary>
    public long AckedThrough => Volatile.Read(ref _ackedThrough);

    /// <summary>Values acknowledged so far on this connection (counted when forgotten).</summary>
    public long Acked { get; private set; }

    /// <summary>Values dropped from the unacknowledged ones because the buffer was full.</summary>
    public long DroppedUnacked { get; private set; }

    /// <summary>Sent and not acknowledged yet (a display from other threads than the owning scheduler).</summary>
    public int UnackedCount => _unacked.Count;

    /// <summary>Where acknowledged values are listed (<c>--record-acked</c>): the owning scheduler's record, or none.</summary>
    public SentRecord? AckedRecord { get; set; }

    /// <summary>Called by the socket's reader (its scheduler thread or its watcher): the server answered the hello.</summary>
    public void NoteAckMode() => Interlocked.CompareExchange(ref _mode, (int)ServerMode.Acknowledged, (int)ServerMode.Unknown);

    /// <summary>Called when the hello got no answer by its deadline. True for the call that settled it.</summary>
    public bool NotePlainMode() => Interlocked.CompareExchange(ref _mode, (int)ServerMode.Plain, (int)ServerMode.Unknown) == (int)ServerMode.Unknown;

    /// <summary>Called by the socket's reader for each <c>ACK v</c>.</summary>
    public void NoteAck(long value)
    {
        long seen;
        while ((seen = Volatile.Read(ref _ackedThrough)) < value && Interlocked.CompareExchange(ref _ackedThrough, value, seen) != seen)
        {
        }
    }

    /// <summary>
    /// Once the schedulers stopped: true while a value kept for a resend is still unacknowledged. Two reads of this
    /// object only, so that the stop can poll thousands of connections every few milliseconds for nothing.
    /// </summary>
    public bool AwaitsAck => _lastKept > AckedThrough && Mode != ServerMode.Plain;

    /// <summary>
    /// Once the schedulers stopped: forgets the acknowledged values and returns how many are still awaited
    /// (none from a plain server).
    /// </summary>
    public int SettleAcks()
    {
        TrimAcked();
        return Mode == ServerMode.Plain ? 0 : _unacked.Count;
    }

    /// <summary>Forgets the acknowledged values (owning scheduler thread, or after the schedulers stopped).</summary>
    private void TrimAcked()
    {
        var through = AckedThrough;
        var trimmed = _unacked.TrimThrough(through, AckedRecord);
        Acked += trimmed;
        _trimmedThrough = through; // values kept later are newer than any acknowledged one, so above it too

        // A resend under way indexes from the oldest value held: it moves back by what was trimmed (acknowledged
        // values need no resend, whether they went out again already or not).
        _resendIndex = Math.Max(0, _resendIndex - trimmed);
    }

    /// <summary>Keeps what may have to be resent (acknowledged mode), or forgets it all (plain server).</summary>
    private bool KeepUnacked(bool acknowledged)
    {
        if (acknowledged && Mode != ServerMode.Plain)
        {
            if (AckedThrough > _trimmedThrough)
            {
                TrimAcked();
            }

            return true;
        }

        if (_holdsUnacked)
        {
            _unacked.Clear(); // the server turned out to be a plain one
            _holdsUnacked = false;
            _resendPending = false;
        }

        return false;
    }

    private void Keep(long value)
    {
        _lastKept = value;
        _holdsUnacked = true;
        DroppedUnacked += _unacked.Push(value);
    }
}
