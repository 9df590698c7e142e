using System.Text;
using Horodate.Core.Durability;
using Horodate.Core.Ordering;
using Horodate.Core.Storage;
using Horodate.Simulation;

namespace Horodate.Core.Tests.Storage;

/// <summary>
/// Issue 10, review finding 4: after a power loss, the unsynced tail of a file can come back as NUL bytes (its
/// blocks allocated, never written) or stale blocks. The server must start on what it wrote, cutting that tail
/// with a warning, and still refuse (untouched) files that are not its own.
/// </summary>
public sealed class PowerLossTailTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("horodate-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    [Theory]
    [InlineData("100\n200\n", 4, true)]
    [InlineData("100\n200\n", 4, false)]
    [InlineData("100\n200\n3", 4, true)] // a torn timestamp, then the unwritten rest of its block
    [InlineData("", 4096, true)] // nothing of the file's first append was written
    public void A_tail_of_NUL_bytes_is_cut_like_a_torn_line_not_refused(string written, int zeros, bool sorted)
    {
        var path = PathOf(sorted ? "out.txt" : "out.txt.late");
        File.WriteAllBytes(path, [.. Encoding.ASCII.GetBytes(written), .. new byte[zeros]]);
        var whole = written.EndsWith('\n') || written.Length == 0 ? written : written[..(written.LastIndexOf('\n') + 1)];

        using (var file = TimestampFile.Open(path, sorted))
        {
            Assert.Equal(written.Length - whole.Length + zeros, file.Resume.TruncatedBytes);
            Assert.Equal(whole.Length == 0 ? null : 200, file.Resume.LastValue);
            file.Append("300\n"u8);
        }

        Assert.Equal(whole + "300\n", File.ReadAllText(path));
    }

    [Theory]
    [InlineData(new byte[] { 0x31, 0x30, 0x30, 0x0a, 0x00, 0x00, 0x32, 0x0a })] // NULs, then a line: not a tail
    [InlineData(new byte[] { 0x68, 0x69, 0x00, 0x00 })] // "hi", then NULs
    public void A_file_whose_NUL_bytes_are_not_its_whole_tail_after_timestamp_lines_is_still_refused_untouched(byte[] content)
    {
        var path = PathOf("foreign.txt");
        File.WriteAllBytes(path, content);

        Assert.Throws<InvalidDataException>(() => TimestampFile.Open(path, sorted: true).Dispose());
        Assert.Equal(content, File.ReadAllBytes(path));
    }

    [Fact]
    public void A_journal_ending_in_NUL_bytes_is_read_up_to_its_last_record()
    {
        var path = PathOf("out.txt.clients");
        File.WriteAllBytes(path, [.. "L 8 0 1\nC a 200\n.\nL 12 0 1\nC a 3"u8, .. new byte[512]]);

        var state = ClientJournal.Recover(path, 100, 0)!;

        Assert.Equal(8, state.MainLength);
        Assert.Equal(200, state.Clients["a"].Through);
    }

    /// <summary>
    /// Keep-duplicates: the journal says the files were fsynced up to its last record; past it, the power loss
    /// may have left whole lines, then stale bytes. Only the durable part is judged: the stale tail is cut, the
    /// server starts.
    /// </summary>
    [Fact]
    public void In_keep_duplicates_mode_only_the_part_the_journal_says_is_durable_is_judged()
    {
        var output = PathOf("out.txt");
        File.WriteAllBytes(output, [.. "100\n200\n300\nold block"u8, .. new byte[100]]);
        using (ClientJournal.Create(output + ".clients", new ClientJournal.State(8, 0, false, new Dictionary<string, ClientMark>())))
        {
        }

        var options = new IngestOptions { Output = output, Ordering = new OrderingOptions { Dedupe = false } };
        using (var core = IngestCore.Open(options, PhysicalFileSystem.Instance, new SimClock(), NullEvents.Instance))
        {
            Assert.Equal(300, core.Resume.LastValue);
        }

        Assert.Equal("100\n200\n300\n", File.ReadAllText(output));
    }

    /// <summary>A foreign output is refused untouched in keep-duplicates mode too: no journal vouches for any of it.</summary>
    [Fact]
    public void In_keep_duplicates_mode_a_foreign_output_without_a_journal_is_still_refused_untouched()
    {
        var output = PathOf("out.txt");
        File.WriteAllText(output, "my notes\n");

        var options = new IngestOptions { Output = output, Ordering = new OrderingOptions { Dedupe = false } };
        Assert.Throws<InvalidDataException>(() => IngestCore.Open(options, PhysicalFileSystem.Instance, new SimClock(), NullEvents.Instance).Dispose());
        Assert.Equal("my notes\n", File.ReadAllText(output));
    }
}
