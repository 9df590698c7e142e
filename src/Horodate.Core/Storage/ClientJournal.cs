using System.Globalization;
using System.Text;
using Horodate.Core.Ordering;

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
    private readonly FileStream _stream;

    private ClientJournal(string path, FileStream stream)
    {
        _path = path;
        _stream = stream;
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
    /// Each client's mark is the highest the records up to that state hold for it (a reconnected client's first
    /// acknowledgements can be lower than what an earlier connection had acknowledged). At most
    /// <see cref="OrderingEngine.MaxClients"/> clients are kept, the most recently marked ones: as many as the
    /// engine remembers, so that the journal rewritten at each start stays bounded however many clients came
    /// and went (at most 2^20 lines of at most 62 bytes: 40-character ids and 18-digit values).
    /// </summary>
    public static State? Recover(string path, long mainLength, long lateLength) =>
        Recover(path, mainLength, lateLength, OrderingEngine.MaxClients);

    /// <inheritdoc cref="Recover(string, long, long)"/>
    /// <param name="path">The journal.</param>
    /// <param name="mainLength">The main file's length.</param>
    /// <param name="lateLength">The <c>.late</c> file's length.</param>
    /// <param name="maxClients">How many clients to keep, the most recently marked ones.</param>
    internal static State? Recover(string path, long mainLength, long lateLength, int maxClients)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        // First pass: the last complete record that fits the files. Second: the clients' marks up to it.
        Record? best = null;
        foreach (var record in ReadRecords(path))
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

        var marks = new Dictionary<string, (long Value, long Record)>(StringComparer.Ordinal);
        foreach (var record in ReadRecords(path))
        {
            foreach (var (id, value) in record.Clients)
            {
                var highest = marks.TryGetValue(id, out var mark) ? Math.Max(mark.Value, value) : value;
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

    /// <summary>One complete record of the journal, the <paramref name="Index"/>-th (from 0).</summary>
    private sealed record Record(long Index, long MainLength, long LateLength, bool Acknowledging, List<KeyValuePair<string, long>> Clients);

    /// <summary>The complete records of the journal at <paramref name="path"/>; a record cut by a crash or by a failed write is skipped.</summary>
    private static IEnumerable<Record> ReadRecords(string path)
    {
        var index = 0L;
        var pending = new List<KeyValuePair<string, long>>();
        long main = -1, late = -1;
        var acknowledging = false;
        foreach (var line in File.ReadLines(path))
        {
            var parts = line.Split(' ');
            switch (parts[0])
            {
                case "L" when parts.Length == 4 && long.TryParse(parts[1], CultureInfo.InvariantCulture, out main) && long.TryParse(parts[2], CultureInfo.InvariantCulture, out late):
                    acknowledging = parts[3] == "1";
                    pending = [];
                    break;
                case "C" when parts.Length == 3 && long.TryParse(parts[2], CultureInfo.InvariantCulture, out var value):
                    pending.Add(new(parts[1], value));
                    break;
                case "." when main >= 0:
                    yield return new Record(index++, main, late, acknowledging, pending);
                    pending = [];
                    main = late = -1;
                    break;
                default:
                    pending = []; // a torn or foreign line: this record is not trusted
                    main = late = -1;
                    break;
            }
        }
    }

    /// <summary>Starts a fresh journal holding <paramref name="state"/> (written to a temp file, then renamed over).</summary>
    public static ClientJournal Create(string path, State state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // like the output it describes
        }

        using (var stream = new FileStream(temp, options))
        {
            stream.Write(Format(state.MainLength, state.LateLength, state.Acknowledging, state.Clients));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
        var appending = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, 1, FileOptions.None);
        return new ClientJournal(path, appending);
    }

    /// <summary>Appends a state and makes it durable; only the clients that moved need to be given.</summary>
    /// <exception cref="IOException">The journal could not be written: no acknowledgement may be sent.</exception>
    public void Append(long mainLength, long lateLength, bool acknowledging, IEnumerable<KeyValuePair<string, long>> moved)
    {
        lock (_stream)
        {
            _stream.Write(Format(mainLength, lateLength, acknowledging, moved));
            _stream.Flush(flushToDisk: true);
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
