namespace Horodate.Checker;

/// <summary>
/// A file of values, one per line, read without the server's code: each line must be 1 to 18 ASCII
/// digits ended by <c>\n</c> (the server writes nothing else), so anything else is reported, with its line
/// number, rather than skipped.
/// </summary>
internal sealed class ValueFile
{
    /// <summary>The longest value on the wire and in the files: 18 digits (below 10^18, so it fits a long).</summary>
    private const int MaxDigits = 18;

    private ValueFile(string path, List<long> values, List<string> malformed, bool endsOnLine)
    {
        Path = path;
        Values = values;
        Malformed = malformed;
        EndsOnLine = endsOnLine;
    }

    public string Path { get; }

    /// <summary>The well-formed values, in file order.</summary>
    public List<long> Values { get; }

    /// <summary>Descriptions of the lines that are not 1–18 digits (<c>line N: "text"</c>).</summary>
    public List<string> Malformed { get; }

    /// <summary>False when the file's last byte is not <c>\n</c>: a reader would see half a line.</summary>
    public bool EndsOnLine { get; }

    /// <summary>Reads <paramref name="path"/>; a missing file reads as empty (the server creates <c>.late</c> on demand).</summary>
    public static ValueFile Read(string path)
    {
        var values = new List<long>();
        var malformed = new List<string>();
        if (!File.Exists(path))
        {
            return new ValueFile(path, values, malformed, endsOnLine: true);
        }

        var bytes = File.ReadAllBytes(path);
        var line = 0;
        var start = 0;
        while (start < bytes.Length)
        {
            line++;
            var end = Array.IndexOf(bytes, (byte)'\n', start);
            var stop = end < 0 ? bytes.Length : end;
            if (TryParse(bytes.AsSpan(start, stop - start), out var value))
            {
                values.Add(value);
            }
            else
            {
                malformed.Add(Describe(line, bytes.AsSpan(start, stop - start)));
            }

            start = stop + 1;
        }

        return new ValueFile(path, values, malformed, endsOnLine: bytes.Length == 0 || bytes[^1] == (byte)'\n');
    }

    private static bool TryParse(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        if (text.Length is 0 or > MaxDigits)
        {
            return false;
        }

        foreach (var b in text)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }

            value = (value * 10) + (b - '0');
        }

        return true;
    }

    private static string Describe(int line, ReadOnlySpan<byte> text)
    {
        var shown = text.Length > 40 ? text[..40] : text;
        var printable = new string([.. shown.ToArray().Select(b => b is >= 0x20 and < 0x7f ? (char)b : '?')]);
        return $"line {line}: \"{printable}\"{(text.Length > 40 ? "…" : "")}";
    }
}
