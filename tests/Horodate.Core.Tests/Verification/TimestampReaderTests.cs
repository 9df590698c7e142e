using System.Text;
using Horodate.Core.Storage;

namespace Horodate.Core.Tests.Verification;

public sealed class TimestampReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("horodate-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private TimestampReader Write(string content)
    {
        var path = Path.Combine(_dir, "out.txt");
        File.WriteAllText(path, content);
        return new TimestampReader(path);
    }

    [Fact]
    public void Read_last_returns_the_final_values_in_file_order()
    {
        var values = Enumerable.Range(0, 1000).Select(i => 1_700_000_000_000L + (i * 7)).ToArray();
        var reader = Write(string.Concat(values.Select(v => $"{v}\n")));

        Assert.Equal(values[^20..], reader.ReadLast(20));
        Assert.Equal(values[^1..], reader.ReadLast(1));
    }

    [Fact]
    public void Read_last_of_a_short_file_returns_all_of_it()
    {
        var reader = Write("5\n6\n7\n");

        Assert.Equal([5L, 6L, 7L], reader.ReadLast(20));
    }

    [Fact]
    public void Read_last_skips_a_torn_last_line_and_lines_that_are_not_values()
    {
        var reader = Write("1\n2\nnope\n\n3\n17000");

        Assert.Equal([1L, 2L, 3L], reader.ReadLast(5));
        Assert.Equal([3L], reader.ReadLast(1));
    }

    [Fact]
    public void Read_last_never_returns_the_cut_end_of_a_longer_line()
    {
        // The window for 2 values is 2 * 65 + 1 = 131 bytes: "42\n" and the 116 bytes of the y line leave 12 for
        // the end of the 30-digit line, "99999999999\n", which would read as a value.
        var reader = Write($"{new string('9', 30)}\n{new string('y', 115)}\n42\n");

        Assert.Equal([42L], reader.ReadLast(2));
    }

    [Fact]
    public void Read_last_of_an_empty_or_missing_file_is_empty()
    {
        Assert.Empty(Write("").ReadLast(10));
        Assert.Empty(new TimestampReader(Path.Combine(_dir, "missing", "out.txt")).ReadLast(10));
        Assert.Empty(Write("1\n").ReadLast(0));
    }

    [Fact]
    public void Read_last_sees_values_appended_by_another_handle()
    {
        var path = Path.Combine(_dir, "live.txt");
        using var writer = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite);
        var reader = new TimestampReader(path);

        writer.Write(Encoding.ASCII.GetBytes("10\n11\n"));
        writer.Flush();
        Assert.Equal([10L, 11L], reader.ReadLast(3));

        writer.Write(Encoding.ASCII.GetBytes("12\n"));
        writer.Flush();
        Assert.Equal([10L, 11L, 12L], reader.ReadLast(3));
    }
}
