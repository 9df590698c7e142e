using Horodate.Core.Protocol;
using Microsoft.Win32.SafeHandles;

namespace Horodate.Core.Storage;

/// <summary>Reads the values of a timestamp file in file order, counting the lines that are not values.</summary>
public sealed class TimestampReader
{
    private readonly string _path;

    /// <summary>Creates a reader of <paramref name="path"/>; nothing is read until <see cref="ReadAll"/>.</summary>
    public TimestampReader(string path) => _path = path;

    /// <summary>Lines that are not values (empty, non-digits, too long) seen by the last <see cref="ReadAll"/>.</summary>
    public long MalformedLines { get; private set; }

    /// <summary>The first malformed line's number (1-based), or 0.</summary>
    public long FirstMalformedLine { get; private set; }

    /// <summary>True when the file does not end with a newline (a torn last line, not counted as a value).</summary>
    public bool TornTail { get; private set; }

    /// <summary>
    /// The last <paramref name="count"/> values of the file, in file order, read from its end: a torn last line
    /// (a write in progress) and lines that are not values are skipped. Fewer when the file is shorter; none when
    /// it does not exist. Reads at most <paramref name="count"/> full-length lines' worth of bytes.
    /// </summary>
    public long[] ReadLast(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        using var handle = OpenOrNull();
        if (handle is null || count == 0)
        {
            return [];
        }

        // Each line is at most MaxLineLength digits and a newline, plus the newline that ends the line before.
        var length = RandomAccess.GetLength(handle);
        var window = (int)Math.Min(length, ((long)count * (LineDecoder.MaxLineLength + 1)) + 1);
        var buffer = new byte[window];
        var read = 0;
        while (read < window)
        {
            var n = RandomAccess.Read(handle, buffer.AsSpan(read), length - window + read);
            if (n == 0)
            {
                break; // cut since we measured it
            }

            read += n;
        }

        var text = buffer.AsSpan(0, read);
        text = text[..(text.LastIndexOf((byte)'\n') + 1)]; // drop a torn last line
        var values = new long[count];
        var found = 0;
        while (found < count && text.Length > 0)
        {
            var line = text[..^1];
            var start = line.LastIndexOf((byte)'\n') + 1;
            if (start == 0 && window < length)
            {
                break; // the window's first line may be the end of a longer one
            }

            if (LineDecoder.Parse(line[start..], out var value) == LineStatus.Value)
            {
                values[count - ++found] = value;
            }

            text = text[..start];
        }

        return values[(count - found)..];
    }

    private SafeFileHandle? OpenOrNull()
    {
        try
        {
            return File.OpenHandle(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Streams the values, in file order.</summary>
    public IEnumerable<long> ReadAll()
    {
        MalformedLines = 0;
        FirstMalformedLine = 0;
        TornTail = false;
        using var stream = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
        var buffer = new byte[256 * 1024];
        var start = 0;
        var end = 0;
        long lineNumber = 0;
        while (true)
        {
            var read = stream.Read(buffer, end, buffer.Length - end);
            if (read == 0)
            {
                if (end > start)
                {
                    TornTail = true;
                }

                yield break;
            }

            end += read;
            while (true)
            {
                var newline = buffer.AsSpan(start, end - start).IndexOf((byte)'\n');
                if (newline < 0)
                {
                    break;
                }

                lineNumber++;
                var line = buffer.AsSpan(start, newline);
                start += newline + 1;
                if (line.Length <= LineDecoder.MaxLineLength && LineDecoder.Parse(line, out var value) == LineStatus.Value)
                {
                    yield return value;
                }
                else
                {
                    MalformedLines++;
                    if (FirstMalformedLine == 0)
                    {
                        FirstMalformedLine = lineNumber;
                    }
                }
            }

            // Keep the partial line: move it to the front (a huge one is dropped, counted as malformed).
            var pending = end - start;
            if (pending == buffer.Length)
            {
                MalformedLines++;
                pending = 0;
            }

            Buffer.BlockCopy(buffer, start, buffer, 0, pending);
            start = 0;
            end = pending;
        }
    }
}
