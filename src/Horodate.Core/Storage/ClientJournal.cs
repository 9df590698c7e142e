using System.Globalization;
using System.Text;
using Horodate.Core.Durability;

namespace Horodate.Core.Storage;

/// <summary>
/// The durable memory of keep-duplicates mode: after each sync, which part of the files is durable and,
/// for each named acknowledged client, the highest of its values in them. Without it, a restarted server
/// could not tell a client's resend of a value it already holds from a new copy of the same millisecond.
/// </summary>
/// <remarks>
/// Append-only text, one record per sync: <c>L main-length late-length acknowledging(0/1)</c>, then <c>C id value</c>
/// lines for the clients that moved, then <c>.</c>; fsynced before the acknowledgements it covers are sent. A record cut by a
/// crash has no <c>.</c> and is ignored. Rewritten whole (temp file, rename) at each start, so it stays small.
/// </remarks>
public sealed class ClientJournal : IDisposable
{
    private readonly string _path;
    private readonly IStorageFile _stream;
    private long _length;

    private ClientJournal(string path, IStorageFile stream)
    {
        _path = path;
        _stream = stream;
        _length = stream.Length;
    }

    /// <summary>
    /// A durable state: the files' lengths; whether acknowledged clients were connected from then on (if so,
    /// anything past these lengths after a crash was never acknowledged and is cut at restart, the clients
    /// resend it; if not, it is plain clients' data and is kept); per client, the highest value of it held.
    /// </summary>
    public sealed record State(long MainLength, long LateLength, bool Acknowledging, IReadOnlyDictionary<string, long> Clients);

    /// <summary>
    /// Reads the journal at <paramref name="path"/> (if any) and returns the last state whose lengths fit in
    /// files of <paramref name="mainLength"/> and <paramref name="lateLength"/> bytes, or <see langword="null"/>.
    /// </summary>
    public static State? Recover(string path, long mainLength, long lateLength) => Recover(PhysicalFileSystem.Instance, path, mainLength, lateLength);

    /// <summary>Like <see cref="Recover(string, long, long)"/>, on the file seam <paramref name="files"/>.</summary>
    public static State? Recover(IFileSystem files, string path, long mainLength, long lateLength)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (!files.Exists(path))
        {
            return null;
        }

        State? best = null;
        var clients = new Dictionary<string, long>(StringComparer.Ordinal);
        var pending = new Dictionary<string, long>(StringComparer.Ordinal);
        long main = -1, late = -1;
        var acknowledging = false;
        foreach (var line in ReadLines(files, path))
        {
            var parts = line.Split(' ');
            switch (parts[0])
            {
                case "L" when parts.Length == 4 && long.TryParse(parts[1], CultureInfo.InvariantCulture, out main) && long.TryParse(parts[2], CultureInfo.InvariantCulture, out late):
                    acknowledging = parts[3] == "1";
                    pending.Clear();
                    break;
                case "C" when parts.Length == 3 && long.TryParse(parts[2], CultureInfo.InvariantCulture, out var value):
                    pending[parts[1]] = value;
                    break;
                case "." when main >= 0:
                    foreach (var (id, value) in pending)
                    {
                        clients[id] = value;
                    }

                    if (main <= mainLength && late <= lateLength)
                    {
                        best = new State(main, late, acknowledging, new Dictionary<string, long>(clients, StringComparer.Ordinal));
                    }

                    pending.Clear();
                    main = late = -1;
                    break;
                default:
                    pending.Clear(); // a torn or foreign line: this record is not trusted
                    main = late = -1;
                    break;
            }
        }

        return best;
    }

    /// <summary>Starts a fresh journal holding <paramref name="state"/> (written to a temp file, then renamed over).</summary>
    public static ClientJournal Create(string path, State state) => Create(PhysicalFileSystem.Instance, path, state);

    /// <summary>Like <see cref="Create(string, State)"/>, on the file seam <paramref name="files"/>.</summary>
    public static ClientJournal Create(IFileSystem files, string path, State state)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(state);
        var temp = path + ".tmp";
        using (var stream = files.Open(temp, truncate: true))
        {
            stream.Write(0, Format(state.MainLength, state.LateLength, state.Acknowledging, state.Clients));
            stream.Sync();
        }

        files.Rename(temp, path);
        return new ClientJournal(path, files.Open(path));
    }

    private static string[] ReadLines(IFileSystem files, string path)
    {
        byte[] bytes;
        using (var file = files.Open(path))
        {
            bytes = new byte[file.Length];
            for (var read = 0; read < bytes.Length;)
            {
                var n = file.Read(read, bytes.AsSpan(read));
                if (n <= 0)
                {
                    Array.Resize(ref bytes, read);
                    break;
                }

                read += n;
            }
        }

        return Encoding.ASCII.GetString(bytes).Split('\n');
    }

    /// <summary>Appends a state and makes it durable; only the clients that moved need to be given.</summary>
    /// <exception cref="IOException">The journal could not be written: no acknowledgement may be sent.</exception>
    public void Append(long mainLength, long lateLength, bool acknowledging, IEnumerable<KeyValuePair<string, long>> moved)
    {
        lock (_stream)
        {
            var record = Format(mainLength, lateLength, acknowledging, moved);
            try
            {
                _stream.Write(_length, record);
                _stream.Sync();
                _length += record.Length;
            }
            catch (IOException)
            {
                try
                {
                    _stream.SetLength(_length); // a torn record must not stay in front of the next one
                }
                catch (IOException)
                {
                    // the next record overwrites it
                }

                throw;
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => _stream.Dispose();

    private static byte[] Format(long mainLength, long lateLength, bool acknowledging, IEnumerable<KeyValuePair<string, long>> clients)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"L {mainLength} {lateLength} {(acknowledging ? 1 : 0)}\n");
        foreach (var (id, value) in clients)
        {
            text.Append(CultureInfo.InvariantCulture, $"C {id} {value}\n");
        }

        text.Append(".\n");
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    /// <summary>The journal's path.</summary>
    public override string ToString() => _path;
}
