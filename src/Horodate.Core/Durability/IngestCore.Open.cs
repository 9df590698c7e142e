using Horodate.Core.Ordering;
using Horodate.Core.Storage;

namespace Horodate.Core.Durability;

/// <summary>Opening: what the files hold decides where the core resumes (recovery, the journal, durable first).</summary>
public sealed partial class IngestCore
{
    /// <summary>
    /// Makes the output and, if it exists, the late file durable as they read now, names included (fsync of the
    /// files and of their directory). Each file's last <see cref="TimestampFile.ResumeTailBytes"/> (all that resends are
    /// recognised against) are rewritten first: after a failed fsync the previous run stopped, but Linux may have
    /// marked the pages it could not write back clean; reads still show them, a plain fsync would not write them,
    /// and a power loss would take values acknowledged against them. Rewritten, they are dirty again and synced.
    /// </summary>
    private static void SyncExisting(IFileSystem files, TimestampFile output, string latePath)
    {
        DurableRewrite.RewriteTail(files, output.Path, TimestampFile.ResumeTailBytes);
        if (files.Exists(latePath))
        {
            DurableRewrite.RewriteTail(files, latePath, TimestampFile.ResumeTailBytes);
        }

        files.SyncDirectory(output.Path);
    }

    /// <summary>
    /// Recovery at open: opens (or creates) the output file, cutting a torn last line; in keep-duplicates mode
    /// reads the journal and, after a crash with acknowledged clients connected, cuts both files back to its
    /// last record (what lay past it was never acknowledged: its senders resend it); then builds the engine,
    /// resuming after the file's last value.
    /// </summary>
    /// <exception cref="InvalidDataException">The output file is not a timestamp file.</exception>
    /// <exception cref="IOException">The output file cannot be opened.</exception>
    public static IngestCore Open(IngestOptions options, IFileSystem files, TimeProvider time, IIngestEvents events)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(events);
        options.Validate();
        var existed = files.Exists(options.Output);

        // Keep-duplicates: the journal says up to where the files were fsynced; only that part is judged (a power
        // loss can leave NUL-filled or stale blocks past it, which are cut like a torn line).
        var durable = options.Ordering.Dedupe ? null
            : ClientJournal.Recover(files, options.JournalPath, LengthOf(files, options.Output), LengthOf(files, options.LateOutput));
        var output = TimestampFile.Open(files, options.Output, sorted: true, durable?.MainLength ?? long.MaxValue);
        try
        {
            events.Opened(options.Output, output.Resume);
            if (options.Ordering.Dedupe)
            {
                // What .late already holds within the dedupe history's reach: a late value resent after a restart is a
                // duplicate, not stored twice. Reading it also refuses a foreign .late now rather than at the first late value.
                var lateValues = TimestampFile.ReadRecent(files, options.LateOutput);

                // What the files hold now is what resends will be recognised against (and acknowledged as stored):
                // it must be durable first, or a power loss could take a value acknowledged only as a duplicate of it.
                SyncExisting(files, output, options.LateOutput);
                var core = new IngestCore(options, files, time, events, output, null, null, 0, existed);
                foreach (var value in lateValues)
                {
                    core._engine.RememberStored(value);
                }

                return core;
            }

            long lateLength = 0;
            if (files.Exists(options.LateOutput))
            {
                using var late = TimestampFile.Open(files, options.LateOutput, sorted: false, durable?.LateLength ?? long.MaxValue);
                lateLength = late.Length;
            }

            var state = ClientJournal.Recover(files, options.JournalPath, output.Length, lateLength);
            if (state is { Acknowledging: true } && (state.MainLength < output.Length || state.LateLength < lateLength))
            {
                events.CutToJournal(options.Output, output.Length - state.MainLength, lateLength - state.LateLength);
                output.Dispose();
                TimestampFile.CutTo(files, options.Output, state.MainLength);
                if (lateLength > 0)
                {
                    TimestampFile.CutTo(files, options.LateOutput, state.LateLength);
                    lateLength = state.LateLength;
                }

                output = TimestampFile.Open(files, options.Output, sorted: true);
            }

            // The fresh journal vouches for these lengths: they must be durable first. A cut whose fsync failed (or
            // a torn line cut at open) would otherwise come back after another crash, past a record that no longer
            // says acknowledged clients were connected: kept, and doubled by the resends.
            SyncExisting(files, output, options.LateOutput);
            var journal = ClientJournal.Create(files, options.JournalPath, new ClientJournal.State(output.Length, lateLength, false, state?.Clients ?? new Dictionary<string, ClientMark>()), options.JournalRotateBytes);
            return new IngestCore(options, files, time, events, output, journal, state, lateLength, existed);
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    private static long LengthOf(IFileSystem files, string path)
    {
        if (!files.Exists(path))
        {
            return 0;
        }

        using var file = files.Open(path);
        return file.Length;
    }
}
