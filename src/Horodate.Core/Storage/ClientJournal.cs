using System.Globalization;
using System.Text;
using Horodate.Core.Durability;
using Horodate.Core.Ordering;
using Horodate.Core.Protocol;

namespace Horodate.Core.Storage;

/// <summary>
/// The durable memory of keep-duplicates mode: after each sync, which part of the files is durable and,
/// for each named acknowledged client, the highest of its values in them. Without it, a restarted server
/// could not tell a client's resend of a value it already holds from a new copy of the same millisecond.
/// </summary>
/// <remarks>
/// Append-only text, one record per sync: <c>L main-length late-length acknowledging(0/1)</c>, then <c>C id value [copies]</c>
/// lines for the clients that moved (every value of the client below <c>value</c> is in the files, and <c>copies</c> copies
/// of <c>value</c>, or every copy when the field is absent: <see cref="ClientMark"/>), then <c>.</c>; fsynced before the acknowledgements it covers are sent. A record cut by a
/// crash has no <c>.</c> and is ignored. Rewritten as one record (temp file, fsync, rename, directory fsync) at each
/// start and, while running, each time it has grown enough (<see cref="RotateIfDue"/>), so it stays bounded.
/// </remarks>
public sealed partial class ClientJournal : IDisposable
{
    private readonly IFileSystem _files;
    private readonly string _path;
    private readonly Lock _gate = new();
    private IStorageFile _stream;
    private long _length;
    private bool _junk; // bytes of a failed append past _length, not yet cut

    private ClientJournal(IFileSystem files, string path, IStorageFile stream, long rotateBytes)
    {
        _files = files;
        _path = path;
        _stream = stream;
        _length = stream.Length;
        _rotateBytes = rotateBytes;
        _rotateAt = NextRotation(_length);
    }

    /// <summary>
    /// A durable state: the files' lengths; whether acknowledged clients were connected from then on (if so,
    /// anything past these lengths after a crash was never acknowledged and is cut at restart, the clients
    /// resend it; if not, it is plain clients' data and is kept); per client, the highest value of it held.
    /// </summary>
    public sealed record State(long MainLength, long LateLength, bool Acknowledging, IReadOnlyDictionary<string, ClientMark> Clients);

    /// <summary>
    /// Reads the journal at <paramref name="path"/> (if any) and returns the last state whose lengths fit in
    /// files of <paramref name="mainLength"/> and <paramref name="lateLength"/> bytes, or <see langword="null"/>.
    /// Each client's mark is the highest the records up to that state hold for it (a reconnected client's first
    /// acknowledgements can be lower than what an earlier connection had acknowledged). At most
    /// <see cref="OrderingEngine.MaxClients"/> clients are kept, the most recently marked ones: as many as the
    /// engine remembers, so that the journal rewritten at each start stays bounded however many clients came
    /// and went (at most 2^20 lines of at most 81 bytes: 40-character ids, 18-digit values and counts of copies).
    /// </summary>
    public static State? Recover(string path, long mainLength, long lateLength) =>
        Recover(PhysicalFileSystem.Instance, path, mainLength, lateLength, OrderingEngine.MaxClients);

    /// <summary>Like <see cref="Recover(string, long, long)"/>, on the file seam <paramref name="files"/>.</summary>
    public static State? Recover(IFileSystem files, string path, long mainLength, long lateLength) =>
        Recover(files, path, mainLength, lateLength, OrderingEngine.MaxClients);

    /// <inheritdoc cref="Recover(string, long, long)"/>
    /// <param name="path">The journal.</param>
    /// <param name="mainLength">The main file's length.</param>
    /// <param name="lateLength">The <c>.late</c> file's length.</param>
    /// <param name="maxClients">How many clients to keep, the most recently marked ones.</param>
    internal static State? Recover(string path, long mainLength, long lateLength, int maxClients) =>
        Recover(PhysicalFileSystem.Instance, path, mainLength, lateLength, maxClients);

    private static State? Recover(IFileSystem files, string path, long mainLength, long lateLength, int maxClients)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (!files.Exists(path))
        {
            return null;
        }

        // First pass: the last complete record that fits the files. Second: the clients' marks up to it.
        Record? best = null;
        foreach (var record in ReadRecords(files, path))
        {
            if (record.MainLength <= mainLength && record.LateLength <= lateLength)
            {
                best = record;
            }
        }

        if (best is null)
        {
            return null;
        }

        var marks = new Dictionary<string, (ClientMark Value, long Record)>(StringComparer.Ordinal);
        foreach (var record in ReadRecords(files, path))
        {
            foreach (var (id, value) in record.Clients)
            {
                var highest = marks.TryGetValue(id, out var mark) ? ClientMark.Max(mark.Value, value) : value;
                marks[id] = (highest, record.Index);
            }

            if (record.Index == best.Index)
            {
                break;
            }
        }

        var kept = marks.Count <= maxClients ? marks : marks.OrderByDescending(m => m.Value.Record).Take(maxClients);
        var clients = kept.ToDictionary(m => m.Key, m => m.Value.Value, StringComparer.Ordinal);
        return new State(best.MainLength, best.LateLength, best.Acknowledging, clients);
    }

    /// <summary>Starts a fresh journal holding <paramref name="state"/> (written to a temp file, then renamed over).</summary>
    public static ClientJournal Create(string path, State state) => Create(PhysicalFileSystem.Instance, path, state);

    /// <summary>Like <see cref="Create(string, State)"/>, on the file seam <paramref name="files"/>.</summary>
    public static ClientJournal Create(IFileSystem files, string path, State state) => Create(files, path, state, RotateBytes);

    /// <inheritdoc cref="Create(IFileSystem, string, State)"/>
    /// <param name="files">The file seam.</param>
    /// <param name="path">The journal.</param>
    /// <param name="state">What it starts with.</param>
    /// <param name="rotateBytes">The size from which it is rewritten while running (<see cref="RotateBytes"/>).</param>
    public static ClientJournal Create(IFileSystem files, string path, State state, long rotateBytes)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(state);
        var appending = Replace(files, path, state);
        try
        {
            files.SyncDirectory(path); // the rename survives a power loss only once the directory entry is durable
        }
        catch
        {
            appending.Dispose();
            throw;
        }

        return new ClientJournal(files, path, appending, rotateBytes);
    }

    /// <summary>
    /// Writes <paramref name="state"/> as one record to a temp file, fsyncs it, renames it over <paramref name="path"/>
    /// and opens it for appending. A crash at any step leaves either the old journal or the new one under the name,
    /// each describing the state; the directory entry still needs its fsync before anything is appended.
    /// </summary>
    private static IStorageFile Replace(IFileSystem files, string path, State state)
    {
        var temp = path + ".tmp";
        using (var stream = files.Open(temp, truncate: true)) // owner-only, like the output it describes
        {
            stream.Write(0, Format(state.MainLength, state.LateLength, state.Acknowledging, state.Clients));
            stream.Sync();
        }

        files.Rename(temp, path);
        return files.Open(path);
    }

    /// <summary>Appends a state and makes it durable; only the clients that moved need to be given.</summary>
    /// <exception cref="IOException">The journal could not be written: no acknowledgement may be sent.</exception>
    public void Append(long mainLength, long lateLength, bool acknowledging, IEnumerable<KeyValuePair<string, ClientMark>> moved)
    {
        var record = Format(mainLength, lateLength, acknowledging, moved);
        lock (_gate)
        {
            if (_junk)
            {
                // A failed append whose cut failed too left part of a record past the end: cut it first, or nothing
                // is appended (and so nothing acknowledged). A shorter record written over it would leave its rest behind.
                _stream.SetLength(_length);
                _junk = false;
            }

            if (_directoryPending)
            {
                _files.SyncDirectory(_path); // a rotation's rename: durable before anything is appended to the new file
                _directoryPending = false;
            }

            try
            {
                _stream.Write(_length, record);
            }
            catch (IOException)
            {
                // All or nothing (a full disk): a half record left in the middle would make the journal foreign. Left
                // at the end (the cut failed too), it is a record cut short, which recovery skips like a crash's.
                _junk = !TryCutBackTo(_length);
                throw;
            }

            _length += record.Length;
            _stream.Sync();
            RotateIfDue();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _stream.Dispose();

    private bool TryCutBackTo(long length)
    {
        try
        {
            _stream.SetLength(length);
            return true;
        }
        catch (IOException)
        {
            return false; // the next Append cuts it before writing
        }
    }

    private static byte[] Format(long mainLength, long lateLength, bool acknowledging, IEnumerable<KeyValuePair<string, ClientMark>> clients)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"L {mainLength} {lateLength} {(acknowledging ? 1 : 0)}\n");
        foreach (var (id, mark) in clients)
        {
            if (mark.Copies == ClientMark.AllCopies)
            {
                text.Append(CultureInfo.InvariantCulture, $"C {id} {mark.Through}\n");
            }
            else
            {
                text.Append(CultureInfo.InvariantCulture, $"C {id} {mark.Through} {mark.Copies}\n");
            }
        }

        text.Append(".\n");
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    /// <summary>The journal's path.</summary>
    public override string ToString() => _path;
}
