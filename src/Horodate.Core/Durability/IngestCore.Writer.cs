using Horodate.Core.Ordering;
using Horodate.Core.Storage;

namespace Horodate.Core.Durability;

/// <summary>The writer step: advance the engine, write the batch, hand the sync step its request.</summary>
public sealed partial class IngestCore
{
    /// <summary>
    /// The writer step: advances the engine, takes its output, writes it; when a sync is due and everything
    /// taken is written, posts a sync request carrying the acknowledgements that the written lines earned.
    /// With <paramref name="final"/> (a graceful stop): drains the engine and refuses later values; call
    /// <see cref="FinishStop"/> once the writes are done. Returns true when everything taken reached the files.
    /// </summary>
    public bool Flush(bool final)
    {
        EngineTime now;
        long rejectedFuture;
        bool acknowledging, syncDue;
        lock (_gate)
        {
            now = _clock.Read();
            var filling = _sink.Current;
            filling.NowMs = now.WallMs;
            _engine.Advance(now);
            if (final)
            {
                _engine.Drain();
                _sealed = true;
            }

            _sink.Current = _writer.Take(filling);
            rejectedFuture = _engine.Counters.RejectedFuture;
            // Keep-duplicates: a named client whose connection dropped still has values on their way to the files, which
            // it will resend: until the journal marks them, records say acknowledged clients are there (cut, not kept).
            acknowledging = _acks.Count > 0 || (_journal is not null && (_engine.ClientMarksPending || _marks.Pending));
            syncDue = _cadence.IsDue(now.MonoMs, final, acknowledging, acknowledging && _acks.FinalDue(_settled));
            if (syncDue)
            {
                // Everything each source sent below the floor is in the batch just taken or an earlier one: once
                // that is written and synced, it can be acknowledged. Collected afresh at every due sync, so that
                // a failed write or sync only delays the acknowledgement.
                _collected.Clear();
                _acks.Collect(_ackPoint, _settled, _collected, now.MonoMs, _options.AckIntervalMs);
                if (_journal is not null)
                {
                    _collectedMarks.Clear();
                    _engine.CollectClientMarks(_collectedMarks);
                    _marks.Add(_collectedMarks);
                }
            }
        }

        if (_cadence.NeedsAcknowledgingRecord(_journal is not null, acknowledging))
        {
            // Before any acknowledged client's value reaches the files, the journal must say so (durably).
            _cadence.Requested(now.MonoMs, acknowledging: true);
            if (!RequestSync(acknowledging: true, [], marks: null, wait: true))
            {
                _cadence.Requested(now.MonoMs, acknowledging: false);
                ReportFuture(rejectedFuture);
                return false; // nothing is written until it does: the batch waits, newer lines queue behind it
            }
        }

        // After a failed fsync nothing more is written either: the pages it dropped stay the files' tail (cut as torn
        // after a power loss), never a hole under later lines that the kernel did write back.
        var written = _failure is null && _writer.WriteOut();
        lock (_gate)
        {
            // From now on, time is stalled while the transports do not read: while writes fail.
            _ = _clock.Read();
            _clock.NotReading = _writer.Backpressured;
        }

        if (syncDue && written && !final)
        {
            var acks = _collected;
            _collected = [];
            _cadence.Requested(now.MonoMs, acknowledging);
            _ = RequestSync(acknowledging, acks, _marks.Unrecorded(), wait: false);
        }

        ReportFuture(rejectedFuture);
        return written;
    }

    /// <summary>
    /// The writer is about to sleep until woken (<see cref="Quiescent"/>): the time until the next step is rest, not
    /// a stall of the process, and counts as listening time (the transports go on reading meanwhile).
    /// </summary>
    public void Rest()
    {
        lock (_gate)
        {
            _clock.Rest();
        }
    }

    /// <summary>
    /// True when a flush would do nothing now and, until a source opens or values are handed over, nothing
    /// later either: no source active (open ones have all been silent past the idle timeout, so no expiry is to
    /// come, and grace or max-delay have nothing to release), nothing buffered or waiting to be written, no
    /// acknowledged client, no journal record or sync to come. The writer then sleeps until woken instead of
    /// flushing every interval (issue 12 §3, "idle means idle"): with nothing connected, and with thousands of
    /// connections that stopped sending.
    /// </summary>
    public bool Quiescent
    {
        get
        {
            lock (_gate)
            {
                if (_engine.ActiveSources != 0 || _engine.BufferedValues != 0 || _acks.Count != 0 || _cadence.JournalAcknowledging
                    || _writer.PendingBytes != 0)
                {
                    return false;
                }
            }

            return !SyncPending;
        }
    }
}
