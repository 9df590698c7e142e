using System.Globalization;
using System.Text;
using Horodate.Core.Durability;
using Horodate.Core.Ordering;
using Horodate.Core.Protocol;

namespace Horodate.Core.Storage;

/// <summary>Reading the journal: judged as it is streamed, line by line.</summary>
public sealed partial class ClientJournal
{
    /// <summary>One complete record of the journal, the <paramref name="Index"/>-th (from 0).</summary>
    private sealed record Record(long Index, long MainLength, long LateLength, bool Acknowledging, List<KeyValuePair<string, ClientMark>> Clients);

    /// <summary>
    /// The complete records of the journal at <paramref name="path"/>; a record cut by a crash is skipped. The
    /// file is judged as it is read: every line must be a record line, except a last line without a newline,
    /// which may be any beginning of one (a crash during an append). Read as a stream: one line of at most
    /// <see cref="MaxLineBytes"/> bytes and one record's client lines in memory at a time.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a journal: it must not be overwritten.</exception>
    private static IEnumerable<Record> ReadRecords(IFileSystem files, string path)
    {
        var index = 0L;
        var number = 0L;
        var pending = new List<KeyValuePair<string, ClientMark>>();
        long main = -1, late = -1;
        var acknowledging = false;
        foreach (var (line, torn) in ReadLines(files, path))
        {
            number++;
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

    /// <summary>
    /// The longest line a journal holds, with room to spare: <c>C</c>, a 40-character id, a signed 18-digit value and
    /// a count of copies (at most 19 digits), three spaces and a newline make 82 bytes. A longer line is not a record.
    /// </summary>
    private const int MaxLineBytes = 128;

    /// <summary>How much is read at a time.</summary>
    private const int ChunkBytes = 64 * 1024;

    /// <summary>
    /// The lines of the journal (a <c>\r</c> before a newline dropped), streamed; the last one is torn when no newline
    /// ends it. A tail of NUL bytes is not read: an append's blocks that a power loss left allocated but never
    /// written, torn like any unfinished record, never a sign of a foreign file.
    /// </summary>
    private static IEnumerable<(string Line, bool Torn)> ReadLines(IFileSystem files, string path)
    {
        using var file = files.Open(path);
        var end = EndBeforeZeros(file);
        var chunk = new byte[ChunkBytes];
        var line = new byte[MaxLineBytes + 1];
        var used = 0;
        for (long offset = 0; offset < end;)
        {
            var n = file.Read(offset, chunk.AsSpan(0, (int)Math.Min(chunk.Length, end - offset)));
            if (n <= 0)
            {
                break;
            }

            offset += n;
            for (var i = 0; i < n; i++)
            {
                var b = chunk[i];
                if (b == (byte)'\n')
                {
                    var length = used > 0 && line[used - 1] == (byte)'\r' ? used - 1 : used;
                    used = 0;
                    yield return (Encoding.Latin1.GetString(line, 0, length), false);
                }
                else if (used < line.Length)
                {
                    line[used++] = b;
                }
                else
                {
                    yield return (Encoding.Latin1.GetString(line), false); // too long for a record: judged foreign
                    yield break;
                }
            }
        }

        if (used > 0)
        {
            yield return (Encoding.Latin1.GetString(line, 0, used), true);
        }
    }

    /// <summary>Where the journal's content ends: before its trailing NUL bytes, found reading backwards a chunk at a time.</summary>
    private static long EndBeforeZeros(IStorageFile file)
    {
        var chunk = new byte[ChunkBytes];
        var end = file.Length;
        while (end > 0)
        {
            var start = Math.Max(0, end - chunk.Length);
            var span = chunk.AsSpan(0, (int)(end - start));
            span = span[..file.Read(start, span)];
            var last = span.LastIndexOfAnyExcept((byte)0);
            if (last >= 0)
            {
                return start + last + 1;
            }

            end = start;
        }

        return 0;
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
}
