using Horodate.Core.Durability;
using Horodate.Core.Ordering;

namespace Horodate.Core.Storage;

/// <summary>Rotation: the running journal rewritten as one record once it has grown enough.</summary>
public sealed partial class ClientJournal
{
    /// <summary>
    /// The journal is rewritten once it reaches this size (8 MiB), or twice its size right after the last rewrite,
    /// whichever is larger. Derivation: a record costs about 30 bytes per client that moved, so 200 clients synced
    /// every 250 ms append ~24 KB/s (~2 GB a day unrotated); 8 MiB is then ~6 minutes, and reading it back at a start
    /// takes milliseconds. The doubling keeps the cost linear however many clients are marked: a rewrite reads
    /// what was appended since the last one, at least as much as the compacted record it writes.
    /// </summary>
    public const long RotateBytes = 8L * 1024 * 1024;

    private readonly long _rotateBytes;
    private long _rotateAt;
    private bool _directoryPending;

    private long NextRotation(long compactedLength) => Math.Max(_rotateBytes, 2 * compactedLength);

    /// <summary>
    /// After a record was appended and fsynced: once the journal is due, rewrites it as one record holding its whole
    /// state (the last record's lengths, every client's highest mark, at most <see cref="OrderingEngine.MaxClients"/>,
    /// the most recently marked), streamed back from the journal itself. Crash-safe at every step (see
    /// <see cref="Replace"/>); the rename's directory fsync is retried before the next append if it fails. A rewrite
    /// that fails before the rename (a full disk) leaves the journal as it was, to be tried again after as much growth.
    /// </summary>
    private void RotateIfDue()
    {
        if (_length < _rotateAt)
        {
            return;
        }

        IStorageFile compacted;
        try
        {
            var state = Recover(_files, _path, long.MaxValue, long.MaxValue, OrderingEngine.MaxClients)!; // the record just synced
            compacted = Replace(_files, _path, state);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _rotateAt = _length + _rotateBytes;
            return;
        }

        _stream.Dispose(); // the old file, now unlinked: nothing more goes to it
        _stream = compacted;
        _length = compacted.Length;
        _rotateAt = NextRotation(_length);
        _directoryPending = true;
        try
        {
            _files.SyncDirectory(_path);
            _directoryPending = false;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Retried before the next append: no record (so no acknowledgement) lands in a file the directory may not keep.
        }
    }
}
