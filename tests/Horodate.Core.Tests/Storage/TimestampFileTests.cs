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

        Assert.Contains("Refusing to write", error.Message);
        Assert.Equal(content, File.ReadAllText(path)); // untouched
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
