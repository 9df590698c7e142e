using Horodate.Core.Presentation;
using Horodate.Core.Verification;

namespace Horodate.Core.Tests.Verification;

public sealed class TimestampVerifierTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("horodate-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void A_sorted_unique_file_matching_its_record_passes()
    {
        var file = Write("out.txt", "1\n2\n3\n");
        var record = Write("sent.txt", "1\n1\n2\n3\n3\n");

        var report = TimestampVerifier.Verify(file, unique: true, record);

        Assert.True(report.Passed);
        Assert.Equal(3, report.Values);
        Assert.Equal(5, report.Expected);
        Assert.Equal(1, report.Min);
        Assert.Equal(3, report.Max);
    }

    [Fact]
    public void Without_unique_the_record_is_compared_with_its_counts()
    {
        var file = Write("out.txt", "1\n2\n3\n");
        var record = Write("sent.txt", "1\n1\n2\n3\n");

        var report = TimestampVerifier.Verify(file, unique: false, record);

        Assert.False(report.Passed);
        Assert.Equal(1, report.Missing);
        Assert.Equal([1L], report.MissingSamples);
    }

    [Fact]
    public void Reports_inversions_duplicates_missing_and_unexpected_values()
    {
        var file = Write("out.txt", "1\n3\n2\n4\n4\n9\n");
        var record = Write("sent.txt", "4\n3\n2\n1\n5\n");

        var report = TimestampVerifier.Verify(file, unique: true, record);

        Assert.False(report.Passed);
        Assert.Equal(1, report.Inversions);
        Assert.Equal((3L, 2L, 3L), report.FirstInversion);
        Assert.Equal(1, report.Duplicates);
        Assert.Equal(1, report.Missing);     // 5
        Assert.Equal(1, report.Unexpected);  // 9
        Assert.Equal([5L], report.MissingSamples);
        Assert.Equal([9L], report.UnexpectedSamples);
    }

    [Fact]
    public void Malformed_lines_and_a_torn_tail_fail_the_check()
    {
        Assert.False(TimestampVerifier.Verify(Write("a.txt", "1\nabc\n2\n"), unique: false, recordPath: null).Passed);

        var torn = TimestampVerifier.Verify(Write("b.txt", "1\n2\n3"), unique: false, recordPath: null);
        Assert.True(torn.TornTail);
        Assert.False(torn.Passed);
    }

    [Fact]
    public void Duplicates_fail_only_when_unique_is_required()
    {
        var file = Write("out.txt", "1\n1\n2\n");

        Assert.True(TimestampVerifier.Verify(file, unique: false, recordPath: null).Passed);
        Assert.False(TimestampVerifier.Verify(file, unique: true, recordPath: null).Passed);
    }

    [Fact]
    public void Reports_the_largest_gaps_the_rate_and_plots_them()
    {
        // Two seconds at one value per 10 ms, with a 700 ms hole in the middle.
        var values = Enumerable.Range(0, 200).Select(i => 1_732_200_000_000L + (i * 10)).Where(v => v is < 1_732_200_000_800 or >= 1_732_200_001_500).ToArray();
        var file = Write("out.txt", string.Concat(values.Select(v => $"{v}\n")));

        var report = TimestampVerifier.Verify(file, unique: true, recordPath: null);

        Assert.Equal((1_732_200_000_790L, 1_732_200_001_500L), report.LargestGaps[0]);
        Assert.Equal(10, report.LargestGaps[1].To - report.LargestGaps[1].From);
        Assert.Equal(2, report.PerSecond.Count);
        Assert.Equal(80, report.PerSecond[0].Values);
        Assert.Equal(710, report.PerSecond[1].MaxGapMs);
        Assert.InRange(report.ValuesPerSecond, 60, 70);
        var svg = SvgPlot.Render(report, "out.txt");
        Assert.StartsWith("<svg", svg);
        Assert.Equal(2, svg.Split("<polyline").Length - 1);
    }

    [Fact]
    public void Reads_files_larger_than_its_buffer()
    {
        var values = Enumerable.Range(0, 100_000).Select(i => 1_732_200_000_000L + i).ToArray();
        var file = Write("big.txt", string.Concat(values.Select(v => $"{v}\n")));

        var report = TimestampVerifier.Verify(file, unique: true, file);

        Assert.True(report.Passed);
        Assert.Equal(values.Length, report.Values);
    }
}
