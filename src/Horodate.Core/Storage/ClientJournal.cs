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

    /// <summary>One complete record of the journal, the <paramref name="Index"/>-th (from 0).</summary>
    private sealed record Record(long Index, long MainLength, long LateLength, bool Acknowledging, List<KeyValuePair<string, ClientMark>> Clients);

    /// <summary>
    /// The complete records of the journal at <paramref name="path"/>; a record cut by a crash is skipped. The
    /// file is judged as it is read: every line must be a record line, except a last line without a newline,
    /// which may be any beginning of one (a crash during an append). A journal is read whole: it is rewritten
    /// at each start and grows by one short record per sync.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a journal: it must not be overwritten.</exception>
    private static IEnumerable<Record> ReadRecords(IFileSystem files, string path)
    {
        var bytes = ReadAll(files, path);

        // A tail of NUL bytes: an append's blocks that a power loss left allocated but unwritten. Torn, not foreign.
        bytes = bytes[..(Array.FindLastIndex(bytes, b => b != 0) + 1)];
        var endsWithNewline = bytes.Length == 0 || bytes[^1] == (byte)'\n';
        var index = 0L;
        var number = 0L;
        var pending = new List<KeyValuePair<string, ClientMark>>();
        long main = -1, late = -1;
        var acknowledging = false;
        using var lines = Lines(Encoding.Latin1.GetString(bytes)).GetEnumerator();
        var more = lines.MoveNext();
        while (more)
        {
            var line = lines.Current;
            more = lines.MoveNext();
            number++;
            var torn = !more && !endsWithNewline;
            var parts = line.Split(' ');
            if (!(torn ? IsRecordLineStart(parts) : IsRecordLine(parts)))
            {
                throw new InvalidDataException(
                    $"{path}: line {number} is \"{TimestampFile.Printable(Encoding.Latin1.GetBytes(line))}\"{(torn ? " (with no newline)" : "")}, not a journal record; refusing to overwrite a file that is not a Horodate client journal");
            }

            if (torn)
            {
                break; // the beginning of a record that a crash cut short
            }

            switch (parts[0])
            {
                case "L":
                    main = long.Parse(parts[1], CultureInfo.InvariantCulture);
                    late = long.Parse(parts[2], CultureInfo.InvariantCulture);
                    acknowledging = parts[3] == "1";
                    pending = [];
                    break;
                case "C" when main >= 0:
                    pending.Add(new(parts[1], new ClientMark(
                        long.Parse(parts[2], CultureInfo.InvariantCulture),
                        parts.Length == 4 ? long.Parse(parts[3], CultureInfo.InvariantCulture) : ClientMark.AllCopies)));
                    break;
                case "." when main >= 0:
                    yield return new Record(index++, main, late, acknowledging, pending);
                    pending = [];
                    main = late = -1;
                    break;
                default:
                    pending = []; // out of sequence: this record is not trusted
                    main = late = -1;
                    break;
            }
        }
    }

    private static byte[] ReadAll(IFileSystem files, string path)
    {
        using var file = files.Open(path);
        var bytes = new byte[file.Length];
        var read = 0;
        while (read < bytes.Length)
        {
            var n = file.Read(read, bytes.AsSpan(read));
            if (n <= 0)
            {
                Array.Resize(ref bytes, read);
                break;
            }

            read += n;
        }

        return bytes;
    }

    /// <summary>The lines of <paramref name="text"/> as <see cref="File.ReadLines(string)"/> gives them (no empty line after a last newline).</summary>
    private static IEnumerable<string> Lines(string text)
    {
        var lines = text.Split('\n');
        var count = text.EndsWith('\n') ? lines.Length - 1 : lines.Length;
        for (var i = 0; i < count; i++)
        {
            yield return lines[i].EndsWith('\r') ? lines[i][..^1] : lines[i];
        }
    }

    private static bool IsRecordLine(string[] parts) => parts[0] switch
    {
        "L" => parts.Length == 4 && IsNumber(parts[1], false) && IsNumber(parts[2], false) && parts[3] is "0" or "1",
        "C" => parts.Length is 3 or 4 && IsId(parts[1], false) && IsNumber(parts[2], true) && (parts.Length == 3 || IsNumber(parts[3], false)),
        "." => parts.Length == 1,
        _ => false,
    };

    /// <summary>Whether the fields can be the beginning of a record line: each whole but the last, which may be cut.</summary>
    private static bool IsRecordLineStart(string[] parts)
    {
        var fields = parts[0] switch
        {
            "" => parts.Length == 1 ? 1 : -1,
            "L" => 4,
            "C" => 4,
            "." => 1,
            _ => -1,
        };
        if (parts.Length > fields)
        {
            return false;
        }

        for (var i = 1; i < parts.Length; i++)
        {
            var cut = i == parts.Length - 1;
            var ok = (parts[0], i) switch
            {
                ("L", 3) => parts[3] is "0" or "1" || (cut && parts[3].Length == 0),
                ("L", _) => IsNumber(parts[i], false, cut),
                ("C", 1) => IsId(parts[1], cut),
                ("C", 3) => IsNumber(parts[3], false, cut),
                _ => IsNumber(parts[i], true, cut),
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsNumber(string text, bool signed, bool cut = false)
    {
        var digits = signed && text.StartsWith('-') ? text[1..] : text;
        return (cut || digits.Length > 0) && digits.Length <= LineDecoder.MaxDigits && !digits.AsSpan().ContainsAnyExceptInRange('0', '9');
    }

    private static bool IsId(string text, bool cut) =>
        (cut && text.Length == 0) || (text.Length <= Handshake.MaxIdLength && Handshake.IsValidId(Encoding.Latin1.GetBytes(text)));

    /// <summary>Starts a fresh journal holding <paramref name="state"/> (written to a temp file, then renamed over).</summary>
    public static ClientJournal Create(string path, State state) => Create(PhysicalFileSystem.Instance, path, state);

    /// <summary>Like <see cref="Create(string, State)"/>, on the file seam <paramref name="files"/>.</summary>
    public static ClientJournal Create(IFileSystem files, string path, State state)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(state);
        var temp = path + ".tmp";
        using (var stream = files.Open(temp, truncate: true)) // owner-only, like the output it describes
        {
            stream.Write(0, Format(state.MainLength, state.LateLength, state.Acknowledging, state.Clients));
            stream.Sync();
        }

        files.Rename(temp, path);
        var appending = files.Open(path);
        return new ClientJournal(path, appending) { _length = appending.Length };
    }

    /// <summary>Appends a state and makes it durable; only the clients that moved need to be given.</summary>
    /// <exception cref="IOException">The journal could not be written: no acknowledgement may be sent.</exception>
    public void Append(long mainLength, long lateLength, bool acknowledging, IEnumerable<KeyValuePair<string, ClientMark>> moved)
    {
        var record = Format(mainLength, lateLength, acknowledging, moved);
        lock (_stream)
        {
            try
            {
                _stream.Write(_length, record);
            }
            catch (IOException)
            {
                // All or nothing (a full disk): a half record left in the middle would make the journal foreign.
                TryCutBackTo(_length);
                throw;
            }

            _length += record.Length;
            _stream.Sync();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _stream.Dispose();

    private void TryCutBackTo(long length)
    {
        try
        {
            _stream.SetLength(length);
        }
        catch (IOException)
        {
            // The next Append writes at the same offset, over whatever is there.
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
