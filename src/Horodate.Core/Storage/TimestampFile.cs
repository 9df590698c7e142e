using Horodate.Core.Durability;
using Horodate.Core.Protocol;

namespace Horodate.Core.Storage;

/// <summary>
/// A file of timestamp lines opened for appending: the ordered output, or its <c>.late</c> side file.
/// Writes go straight to the operating system (no hidden buffer), each one whole lines, so a reader
/// never sees half a line; <see cref="Sync"/> makes them durable.
/// </summary>
public sealed class TimestampFile : IDisposable
{
    /// <summary>How much of the end of an existing file is read back to resume (16 MiB: 17 minutes of distinct milliseconds).</summary>
    public const int ResumeTailBytes = 16 * 1024 * 1024;

    private readonly IStorageFile _stream;
    private long _length;

    private TimestampFile(string path, IStorageFile stream, ResumeInfo resume)
    {
        Path = path;
        _stream = stream;
        Resume = resume;
        _length = resume.Length;
    }

    /// <summary>The file's path.</summary>
    public string Path { get; }

    /// <summary>What was found in the file when it was opened.</summary>
    public ResumeInfo Resume { get; }

    /// <summary>The file's length: where the next write lands.</summary>
    public long Length => _length;

    /// <summary>
    /// Opens <paramref name="path"/> for appending, creating it (owner read/write only) if needed. An
    /// existing file is judged before anything is changed: its first line and its last
    /// <see cref="ResumeTailBytes"/> must be timestamp lines (ascending when <paramref name="sorted"/>),
    /// possibly followed by a torn timestamp left by a crash (1 to 18 digits without a newline), which is
    /// then cut off. Anything else is refused, the file left as it was (bytes and modification time).
    /// </summary>
    /// <exception cref="InvalidDataException">The file holds something other than timestamp lines; the message
    /// names the file and what was found there.</exception>
    /// <exception cref="IOException">The file cannot be opened or read.</exception>
    public static TimestampFile Open(string path, bool sorted) => Open(PhysicalFileSystem.Instance, path, sorted);

    /// <summary>Like <see cref="Open(string, bool)"/>, on the file seam <paramref name="files"/>.</summary>
    public static TimestampFile Open(IFileSystem files, string path, bool sorted) => Open(files, path, sorted, long.MaxValue);

    /// <summary>
    /// Like <see cref="Open(IFileSystem, string, bool)"/>, for a file known durable (fsynced, recorded in the
    /// keep-duplicates journal) up to <paramref name="durableLength"/> bytes: only that part is judged. Past it, what
    /// a power loss left of unsynced appends (whole lines, then possibly a torn one, NUL-filled or stale blocks) is
    /// kept up to its last whole timestamp line that continues the file, and the rest is cut like a torn line.
    /// </summary>
    public static TimestampFile Open(IFileSystem files, string path, bool sorted, long durableLength)
    {
        ArgumentNullException.ThrowIfNull(files);
        var stream = files.Open(path);
        try
        {
            return new TimestampFile(path, stream, ReadTail(path, stream, sorted, durableLength));
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The values of the last <see cref="ResumeTailBytes"/> of the side file at <paramref name="path"/>, in file
    /// order (none if there is no file), changing nothing: in dedupe mode, what <c>.late</c> already holds within
    /// the dedupe history's reach, so that a late value resent after a restart is not stored twice. The file is
    /// judged as <see cref="Open(string, bool)"/> judges it (a torn last line is left for <see cref="Open(string, bool)"/> to cut).
    /// </summary>
    /// <remarks>
    /// The bound: the history reaches 2^20 ms behind the write point and holds each value once, so at most 2^20
    /// of <c>.late</c>'s values can matter; at 14 bytes a line (13-digit milliseconds and a newline) they take
    /// 14 MiB, within the 16 MiB read. Only older values written in between (a client whose clock lags by more
    /// than the history's reach, whose late values are stored without the check) can push a value that
    /// matters out of the tail read.
    /// </remarks>
    /// <exception cref="InvalidDataException">The file holds something other than timestamp lines.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static IReadOnlyList<long> ReadRecent(string path) => ReadRecent(PhysicalFileSystem.Instance, path);

    /// <summary>Like <see cref="ReadRecent(string)"/>, on the file seam <paramref name="files"/>.</summary>
    public static IReadOnlyList<long> ReadRecent(IFileSystem files, string path)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (!files.Exists(path))
        {
            return [];
        }

        using var stream = files.Open(path);
        return Inspect(path, stream, sorted: false, long.MaxValue).Values;
    }

    /// <summary>Cuts the file at <paramref name="path"/> back to <paramref name="length"/> bytes (a journal's durable state).</summary>
    public static void CutTo(string path, long length) => CutTo(PhysicalFileSystem.Instance, path, length);

    /// <summary>Like <see cref="CutTo(string, long)"/>, on the file seam <paramref name="files"/>.</summary>
    public static void CutTo(IFileSystem files, string path, long length)
    {
        ArgumentNullException.ThrowIfNull(files);
        using var stream = files.Open(path);
        if (stream.Length > length)
        {
            stream.SetLength(length);
            stream.Sync();
        }
    }

    /// <summary>
    /// Appends whole lines, all or nothing: if the write fails (a full disk), whatever part of it reached the
    /// file is cut off again, so that a retry of the same lines leaves no half line behind.
    /// </summary>
    /// <exception cref="IOException">The write failed; the file is as it was before the call.</exception>
    public void Append(ReadOnlySpan<byte> lines)
    {
        if (lines.IsEmpty)
        {
            return;
        }

        try
        {
            _stream.Write(_length, lines);
            _length += lines.Length;
        }
        catch (IOException)
        {
            TryCutBackTo(_length);
            throw;
        }
    }

    /// <summary>Makes everything appended so far durable (fsync).</summary>
    public void Sync() => _stream.Sync();

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
            // The next Append writes at the same offset and overwrites whatever is there.
        }
    }

    private static ResumeInfo ReadTail(string path, IStorageFile stream, bool sorted, long durableLength)
    {
        var found = Inspect(path, stream, sorted, durableLength);
        var length = stream.Length - found.TornBytes;
        if (found.TornBytes > 0)
        {
            stream.SetLength(length); // judged ours: only now is anything changed
        }

        return new ResumeInfo(found.Last, found.TornBytes, length, sorted ? found.Values : []);
    }

    /// <summary>What <see cref="Inspect"/> found: the complete values read back, the last one, and a torn tail's length.</summary>
    private readonly record struct Inspection(List<long> Values, long? Last, int TornBytes);

    /// <summary>
    /// Decides whether the file is a Horodate file, changing nothing. It is if every line read is a timestamp
    /// (ascending when <paramref name="sorted"/>) and what follows the last newline is empty or a torn
    /// timestamp (1 to <see cref="LineDecoder.MaxDigits"/> digits and nothing else, what a crash during an
    /// append leaves). What is read: the last <see cref="ResumeTailBytes"/> and, when the file is longer, its
    /// first line too, so a foreign file is recognised by its head as well as its tail; the lines in between
    /// are not read (a multi-GB output would take seconds to scan at every start).
    /// A tail of NUL bytes is torn too: a power loss can leave the blocks of an unsynced append allocated but never
    /// written (the file's new length made durable, its data not), so such a tail is what a Horodate file becomes,
    /// never a sign of a foreign one. Past <paramref name="durableLength"/> (see <see cref="Open(IFileSystem, string, bool, long)"/>)
    /// the first line that does not continue the file starts the torn part.
    /// </summary>
    /// <exception cref="InvalidDataException">Something else was found; the message names the file and what.</exception>
    private static Inspection Inspect(string path, IStorageFile stream, bool sorted, long durableLength)
    {
        var length = stream.Length;
        if (length == 0)
        {
            return new Inspection([], null, 0);
        }

        var tailLength = (int)Math.Min(length, ResumeTailBytes);
        var tail = new byte[tailLength];
        var tailStart = length - tailLength;
        for (var read = 0; read < tailLength;)
        {
            var n = stream.Read(tailStart + read, tail.AsSpan(read));
            read += n > 0 ? n : throw new EndOfStreamException($"{path} shrank while it was read back");
        }

        // The trailing NUL bytes (unless they fill the whole window of a longer file: then nothing says it is ours).
        var zeros = tail.Length - (tail.AsSpan().LastIndexOfAnyExcept((byte)0) + 1);
        var end = zeros > 0 && (zeros < tail.Length || tailStart == 0) ? length - zeros : length;
        var lines = tail.AsSpan(0, (int)(end - tailStart));
        var lineNumber = 1L; // exact only while the window reaches the start of the file
        if (tailStart > 0)
        {
            CheckHead(path, stream);
            var firstNewline = lines.IndexOf((byte)'\n');
            if (firstNewline < 0)
            {
                throw NotOurs(path, $"no line ends in its last {ResumeTailBytes / (1024 * 1024)} MiB");
            }

            lines = lines[(firstNewline + 1)..]; // the line cut by the window's start (the head was checked)
            lineNumber = 0;
        }

        var values = new List<long>();
        long? last = null;
        var offset = end - lines.Length;
        while (!lines.IsEmpty)
        {
            var newline = lines.IndexOf((byte)'\n');
            var line = newline < 0 ? lines : lines[..newline];
            var where = lineNumber > 0 ? $"line {lineNumber}" : $"the line at byte {offset}";
            if (offset >= durableLength && (newline < 0 || LineDecoder.Parse(line, out var next) != LineStatus.Value || (sorted && next < last)))
            {
                return new Inspection(values, last, (int)(length - offset)); // unsynced, and not what was appended
            }

            if (newline < 0)
            {
                if (line.Length > LineDecoder.MaxDigits || line.ContainsAnyExceptInRange((byte)'0', (byte)'9'))
                {
                    throw NotOurs(path, $"{where} is \"{Printable(line)}\" (with no newline), not a timestamp");
                }

                return new Inspection(values, last, line.Length + (int)(length - end)); // a torn timestamp
            }

            if (LineDecoder.Parse(line, out var value) != LineStatus.Value)
            {
                throw NotOurs(path, $"{where} is \"{Printable(line)}\", not a timestamp");
            }

            if (sorted && value < last)
            {
                throw NotOurs(path, $"{where} is {value}, below {last} on the line before: not ascending");
            }

            values.Add(value);
            last = value;
            lines = lines[(newline + 1)..];
            offset += newline + 1;
            lineNumber = lineNumber > 0 ? lineNumber + 1 : 0;
        }

        return new Inspection(values, last, (int)(length - end));
    }

    /// <summary>Checks the file's first line, for a file longer than the tail read back.</summary>
    private static void CheckHead(string path, IStorageFile stream)
    {
        Span<byte> head = stackalloc byte[LineDecoder.MaxLineLength + 1];
        head = head[..stream.Read(0, head)];
        var newline = head.IndexOf((byte)'\n');
        var line = newline < 0 ? head : head[..newline];
        if (newline < 0 || LineDecoder.Parse(line, out _) != LineStatus.Value)
        {
            throw NotOurs(path, $"line 1 is \"{Printable(line)}\", not a timestamp");
        }
    }

    private static InvalidDataException NotOurs(string path, string found) =>
        new($"{path}: {found}; refusing to append to a file that is not a Horodate output");

    /// <summary>At most 40 characters of <paramref name="line"/> for a message, anything but printable ASCII shown as <c>?</c>.</summary>
    internal static string Printable(ReadOnlySpan<byte> line)
    {
        var shown = line[..Math.Min(line.Length, 40)];
        var chars = new char[shown.Length];
        for (var i = 0; i < shown.Length; i++)
        {
            chars[i] = shown[i] is >= 0x20 and < 0x7f ? (char)shown[i] : '?';
        }

        return new string(chars) + (line.Length > shown.Length ? "…" : "");
    }
}
