using System.Text;
using Horodate.Core.Storage;

namespace Horodate.Core.Tests.Storage;

public sealed class TimestampFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("horodate-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    [Fact]
    public void A_new_file_is_created_empty_and_readable_only_by_its_owner()
    {
        var path = PathOf("new.txt");
        using (var file = TimestampFile.Open(path, sorted: true))
        {
            Assert.Null(file.Resume.LastValue);
            Assert.Equal(0, file.Length);
        }

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public void Resuming_cuts_off_a_torn_last_line_and_continues_after_the_last_complete_value()
    {
        var path = PathOf("torn.txt");
        File.WriteAllText(path, "100\n200\n30");

        using (var file = TimestampFile.Open(path, sorted: true))
        {
            Assert.Equal(200, file.Resume.LastValue);
            Assert.Equal(2, file.Resume.TruncatedBytes);
            Assert.Equal([100L, 200L], file.Resume.RecentValues);
            file.Append("300\n"u8);
        }

        Assert.Equal("100\n200\n300\n", File.ReadAllText(path));
    }

    [Fact]
    public void A_file_that_is_only_a_torn_line_resumes_empty()
    {
        var path = PathOf("only-torn.txt");
        File.WriteAllText(path, "17322");

        using var file = TimestampFile.Open(path, sorted: true);

        Assert.Null(file.Resume.LastValue);
        Assert.Equal(5, file.Resume.TruncatedBytes);
        Assert.Equal(0, new FileInfo(path).Length);
    }

    [Theory]
    [InlineData("hello world\n")]
    [InlineData("100\n50\n")]
    [InlineData("100\n\n200\n")]
    [InlineData("<html>\n<body>\n")]
    public void Refuses_to_append_to_a_file_that_is_not_its_own_sorted_format(string content)
    {
        var path = PathOf("foreign.txt");
        File.WriteAllText(path, content);

        var error = Assert.Throws<InvalidDataException>(() => TimestampFile.Open(path, sorted: true));

        Assert.StartsWith(path + ": ", error.Message, StringComparison.Ordinal);
        Assert.Contains("refusing to append to a file that is not a Horodate output", error.Message);
        Assert.Equal(content, File.ReadAllText(path)); // untouched
    }

    public static TheoryData<byte[], bool, string> ForeignFiles => new()
    {
        { "abc"u8.ToArray(), true, "line 1 is \"abc\" (with no newline), not a timestamp" },
        { [0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0xff], true, "line 1 is \"?ELF????\" (with no newline), not a timestamp" },
        { "hello\nworld"u8.ToArray(), true, "line 1 is \"hello\", not a timestamp" },
        { "100\n200\nworld"u8.ToArray(), true, "line 3 is \"world\" (with no newline), not a timestamp" },
        { "100\n200\n12a"u8.ToArray(), true, "line 3 is \"12a\" (with no newline), not a timestamp" },
        { "100\n1234567890123456789"u8.ToArray(), true, "line 2 is \"1234567890123456789\" (with no newline), not a timestamp" },
        { "100\n300\n200\n4"u8.ToArray(), true, "line 3 is 200, below 300 on the line before: not ascending" },
        { "abc"u8.ToArray(), false, "line 1 is \"abc\" (with no newline), not a timestamp" },
        { "300\n100\nhello"u8.ToArray(), false, "line 3 is \"hello\" (with no newline), not a timestamp" },
    };

    [Theory]
    [MemberData(nameof(ForeignFiles))]
    public void A_foreign_file_is_refused_before_anything_is_changed_and_the_message_says_what_was_found(byte[] content, bool sorted, string found)
    {
        var path = PathOf(sorted ? "timestamps.txt" : "timestamps.txt.late");
        File.WriteAllBytes(path, content);
        var modified = new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(path, modified);

        var error = Record.Exception(() => TimestampFile.Open(path, sorted).Dispose());

        Assert.Equal(content, File.ReadAllBytes(path));
        Assert.Equal(modified, File.GetLastWriteTimeUtc(path));
        Assert.Equal($"{path}: {found}; refusing to append to a file that is not a Horodate output", Assert.IsType<InvalidDataException>(error).Message);
    }

    [Fact]
    public void A_foreign_head_is_refused_even_when_the_tail_read_back_looks_like_timestamps()
    {
        var path = PathOf("big.txt");
        var tail = new StringBuilder();
        for (var value = 1_000_000_000_000L; tail.Length <= TimestampFile.ResumeTailBytes; value++)
        {
            tail.Append(value).Append('\n');
        }

        File.WriteAllText(path, "# my notes\n" + tail);
        var length = new FileInfo(path).Length;

        var error = Record.Exception(() => TimestampFile.Open(path, sorted: true).Dispose());

        Assert.Equal(length, new FileInfo(path).Length);
        Assert.Contains("line 1 is \"# my notes\", not a timestamp", Assert.IsType<InvalidDataException>(error).Message);
    }

    [Fact]
    public void A_torn_last_line_of_a_side_file_after_unsorted_lines_is_cut()
    {
        var path = PathOf("late.txt");
        File.WriteAllText(path, "300\n100\n2");

        using (var file = TimestampFile.Open(path, sorted: false))
        {
            Assert.Equal(1, file.Resume.TruncatedBytes);
        }

        Assert.Equal("300\n100\n", File.ReadAllText(path));
    }

    [Fact]
    public void Reading_back_a_side_file_returns_its_values_in_file_order_and_changes_nothing()
    {
        var path = PathOf("out.txt.late");
        File.WriteAllText(path, "300\n100\n200\n4");

        Assert.Equal([300L, 100L, 200L], TimestampFile.ReadRecent(path));
        Assert.Equal("300\n100\n200\n4", File.ReadAllText(path)); // the torn line is for Open to cut
        Assert.Empty(TimestampFile.ReadRecent(PathOf("none.late")));
        File.WriteAllText(path, "300\nnotes\n");
        Assert.Throws<InvalidDataException>(() => TimestampFile.ReadRecent(path));
    }

    [Fact]
    public void Refuses_a_file_whose_last_line_is_far_too_long_to_be_a_torn_value()
    {
        var path = PathOf("binary.bin");
        File.WriteAllBytes(path, Encoding.ASCII.GetBytes("100\n" + new string('x', 500)));

        Assert.Throws<InvalidDataException>(() => TimestampFile.Open(path, sorted: true));
    }

    [Fact]
    public void An_unsorted_side_file_may_be_appended_to()
    {
        var path = PathOf("late.txt");
        File.WriteAllText(path, "300\n100\n");

        using var file = TimestampFile.Open(path, sorted: false);

        Assert.Equal(100, file.Resume.LastValue);
    }

    [Fact]
    public void Appends_are_visible_to_a_concurrent_reader_immediately()
    {
        var path = PathOf("live.txt");
        using var file = TimestampFile.Open(path, sorted: true);
        file.Append("1\n2\n"u8);

        using var reader = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var text = new StreamReader(reader);
        Assert.Equal("1\n2\n", text.ReadToEnd());
    }
}
