using Horodate.Core.Ordering;
using Horodate.Core.Storage;

namespace Horodate.Core.Durability;

/// <summary>The sync step: the mailbox from the writer step, fsync, the journal record, then the acknowledgements.</summary>
public sealed partial class IngestCore
{
    // The sync mailbox, from the writer step to the sync step (guarded by _syncGate).
    private readonly Lock _syncGate = new();
    private SyncRequest? _request;
    private long _requestId;
    private long _doneId;
    private bool _lastSyncFailed;

    // The sync step's: the first fsync that failed (after it, nothing is ever acknowledged), and whether the directory
    // entry of a .late created during the run is durable.
    private volatile string? _failure;
    private bool _lateEntrySynced;

    private sealed class SyncRequest(long mainLength, long lateLength, bool acknowledging, List<AckTracker.Pending> acks, List<KeyValuePair<string, ClientMark>> marks)
    {
        public List<KeyValuePair<string, ClientMark>> Marks { get; set; } = marks;

        public long MainLength { get; set; } = mainLength;

        public long LateLength { get; set; } = lateLength;

        public bool Acknowledging { get; set; } = acknowledging;

        public List<AckTracker.Pending> Acks { get; } = acks;
    }

    /// <summary>Whether a sync request waits for <see cref="RunSync"/>.</summary>
    public bool SyncPending
    {
        get
        {
            lock (_syncGate)
            {
                return _request is not null;
            }
        }
    }

    /// <summary>How many acknowledgements the sync request not yet taken carries (merged: at most one per acknowledged source).</summary>
    internal int QueuedAcks
    {
        get
        {
            lock (_syncGate)
            {
                return _request?.Acks.Count ?? 0;
            }
        }
    }

    /// <summary>
    /// The sync step: fsyncs the files, appends the journal record, then sends the acknowledgements the request
    /// carries. Returns false when there was nothing to do.
    /// </summary>
    public bool RunSync()
    {
        SyncRequest? request;
        long id;
        lock (_syncGate)
        {
            request = _request;
            _request = null;
            id = _requestId;
        }

        if (request is null)
        {
            return false;
        }

        var ok = Sync(request.MainLength, request.LateLength, request.Acknowledging, request.Acks, request.Marks);
        lock (_syncGate)
        {
            _doneId = id;
            _lastSyncFailed = !ok;
        }

        return true;
    }

    /// <summary>
    /// Posts a sync request (merging into one not yet taken); with <paramref name="wait"/>, waits for it and returns
    /// whether it worked. <paramref name="marks"/>: every journal mark unrecorded, only when everything taken is
    /// written (null: the request carries none of its own).
    /// </summary>
    private bool RequestSync(bool acknowledging, List<AckTracker.Pending> acks, List<KeyValuePair<string, ClientMark>>? marks, bool wait)
    {
        long id;
        lock (_syncGate)
        {
            if (_request is { } queued)
            {
                PendingAcks.Merge(queued.Acks, acks);
                queued.MainLength = _writer.Main.Length;
                queued.LateLength = _writer.LateLength;
                queued.Acknowledging = acknowledging;
                queued.Marks = marks ?? queued.Marks;
            }
            else
            {
                _request = new SyncRequest(_writer.Main.Length, _writer.LateLength, acknowledging, acks, marks ?? []);
            }

            id = ++_requestId;
        }

        SyncRequested?.Invoke();
        if (!wait)
        {
            return true;
        }

        while (true)
        {
            lock (_syncGate)
            {
                if (_doneId >= id)
                {
                    return !_lastSyncFailed;
                }
            }

            if (!WaitForSync())
            {
                return false;
            }
        }
    }

    /// <summary>Called when a sync request is posted: production wakes its sync thread.</summary>
    public Action? SyncRequested { get; set; }

    /// <summary>
    /// How the writer step waits for a sync it needs: production blocks until the sync thread is done (or
    /// stopping: false); the simulator runs the sync step in place. Defaults to running it in place.
    /// </summary>
    public Func<bool>? SyncWaiter { get; set; }

    private bool WaitForSync() => SyncWaiter is { } wait ? wait() : RunSync();

    private bool Sync(long mainLength, long lateLength, bool acknowledging, List<AckTracker.Pending> acks, List<KeyValuePair<string, ClientMark>> marks)
    {
        if (_failure is not null)
        {
            return false; // an fsync failed: nothing written since the last good one is known durable, ever
        }

        try
        {
            var started = _time.GetTimestamp();
            _writer.Main.Sync();
            if (_writer.Late is { } late)
            {
                late.Sync();
                if (!_lateEntrySynced)
                {
                    _writer.Files.SyncDirectory(late.Path); // created during this run: its name must survive a power loss too
                    _lateEntrySynced = true;
                }
            }

            _journal?.Append(mainLength, lateLength, acknowledging, marks);
            _events.Synced(started);
        }
        catch (SyncFailedException ex)
        {
            // Fatal, never retried (fsyncgate): Linux may have dropped the pages it could not write back, marking them
            // clean, so the next fsync would succeed without them and acknowledge values a power loss then takes. Not
            // rewritten from memory either: plain mode syncs only at the stop, so what a failed fsync covers can be a
            // whole run. The server stops instead (IIngestEvents.SyncFailed), acknowledging nothing more; the clients
            // resend what was not acknowledged, and the next start rewrites the files' tails before trusting them.
            _failure = ex.Message;
            _events.SyncFailed(ex.Path, ex.Message);
            return false;
        }
        catch (IOException ex)
        {
            _events.WriteFailed(_writer.Main.Path, ex.Message);
            return false; // a failed write (the journal's): no acknowledgement (they are collected again at the next sync)
        }

        _marks.Recorded(marks);
        AckTracker.Complete(acks);
        return true;
    }
}
