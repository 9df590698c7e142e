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
    /// existing file is checked: a partial last line left by a crash is cut off, and the tail must be
    /// timestamp lines (ascending when <paramref name="sorted"/>), or the file is refused rather than
    /// mixed with ours.
    /// </summary>
    /// <exception cref="InvalidDataException">The file holds something other than timestamp lines.</exception>
    /// <exception cref="IOException">The file cannot be opened or read.</exception>
    public static TimestampFile Open(string path, bool sorted) => Open(PhysicalFileSystem.Instance, path, sorted);

    /// <summary>Like <see cref="Open(string, bool)"/>, on the file seam <paramref name="files"/>.</summary>
    public static TimestampFile Open(IFileSystem files, string path, bool sorted)
    {
        ArgumentNullException.ThrowIfNull(files);
        var stream = files.Open(path);
        try
        {
            return new TimestampFile(path, stream, ReadTail(path, stream, sorted));
        }
        catch
        {
            stream.Dispose();
            throw;
        }
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

    private static ResumeInfo ReadTail(string path, IStorageFile stream, bool sorted)
    {
        var length = stream.Length;
        if (length == 0)
        {
            return new ResumeInfo(null, 0, 0, []);
        }

        var tailLength = (int)Math.Min(length, ResumeTailBytes);
        var tail = new byte[tailLength];
        for (var read = 0; read < tailLength;)
        {
            var n = stream.Read(length - tailLength + read, tail.AsSpan(read));
            read += n > 0 ? n : throw new EndOfStreamException($"{path} shrank while it was read.");
        }

        // A crash can leave a partial last line: everything after the last newline is cut off.
        var lastNewline = Array.LastIndexOf(tail, (byte)'\n');
        if (lastNewline < 0 && tailLength < length)
        {
            throw NotOurs(path, "no line ends in its last 16 MiB");
        }

        var keep = lastNewline + 1;
        long truncated = tailLength - keep;
        if (truncated > LineDecoder.MaxLineLength)
        {
            throw NotOurs(path, $"its last line is {truncated} bytes long");
        }

        if (truncated > 0)
        {
            stream.SetLength(length - truncated);
        }

        // Read the complete lines of the tail; the first may be cut by the tail's start, skip it then.
        var lines = tail.AsSpan(0, keep);
        if (tailLength < length)
        {
            lines = lines[(lines.IndexOf((byte)'\n') + 1)..];
        }

        var values = new List<long>();
        long previous = -1;
        foreach (var range in lines.Split((byte)'\n'))
        {
            var line = lines[range];
            if (line.IsEmpty && range.Start.Value == lines.Length)
            {
                break; // after the last newline
            }

            if (LineDecoder.Parse(line, out var value) != LineStatus.Value)
            {
                throw NotOurs(path, $"it holds the line \"{Printable(line)}\"");
            }

            if (sorted && value < previous)
            {
                throw NotOurs(path, $"it is not sorted ({value} follows {previous})");
            }

            previous = value;
            values.Add(value);
        }

        if (!sorted)
        {
            values.Clear();
        }

        return new ResumeInfo(previous >= 0 ? previous : null, truncated, length - truncated, values);
    }

    private static InvalidDataException NotOurs(string path, string why) =>
        new($"{path} is not a timestamp file that can be appended to: {why}. Refusing to write into it; choose another --output or move the file away.");

    private static string Printable(ReadOnlySpan<byte> line)
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
