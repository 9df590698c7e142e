using Horodate.Checker;

namespace Horodate.TortureTests;

/// <summary>The checker on small hand-made files: each broken promise is found, and a clean run passes.</summary>
public sealed class CheckerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("horodate-checker-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_clean_dedupe_run_passes()
    {
        var report = Run(main: "100\n101\n103\n", late: "99\n", acked: "100\n100\n101\n", sent: "99\n100\n100\n101\n103\n");
        Assert.True(report.Ok, string.Join("; ", report.Violations));
        Assert.Equal(3, report.MainLines);
        Assert.Equal(1, report.LateLines);
    }

    [Fact]
    public void A_clean_keep_duplicates_run_passes_with_copies_from_several_connections()
    {
        var report = Run(main: "100\n100\n101\n", late: "100\n", acked: "100\n100\n101\n", sent: "100\n100\n100\n101\n", keep: true);
        Assert.True(report.Ok, string.Join("; ", report.Violations));
    }

    [Fact]
    public void An_acknowledged_value_missing_from_both_files_is_lost()
    {
        var report = Run(main: "100\n102\n", acked: "100\n101\n102\n", sent: "100\n101\n102\n");
        var lost = Assert.Single(report.Violations);
        Assert.Equal("lost-acked", lost.Kind);
        Assert.Contains("101 (acked 1, stored 0)", lost.Examples);
    }

    [Fact]
    public void With_keep_duplicates_fewer_copies_than_acknowledged_are_lost_copies()
    {
        var report = Run(main: "100\n101\n", acked: "100\n100\n101\n", sent: "100\n100\n101\n", keep: true);
        Assert.Equal("lost-acked", Assert.Single(report.Violations).Kind);
    }

    [Fact]
    public void With_keep_duplicates_more_copies_than_were_sent_are_doubled()
    {
        // The defect of issue 10: the main file is exact, and .late holds the resends again.
        var report = Run(main: "100\n101\n", late: "100\n101\n", acked: "100\n101\n", sent: "100\n101\n", keep: true);
        var doubled = Assert.Single(report.Violations);
        Assert.Equal("doubled", doubled.Kind);
        Assert.Equal(2, doubled.Count);
    }

    [Fact]
    public void In_dedupe_mode_a_value_in_both_files_is_reported()
    {
        var report = Run(main: "100\n101\n", late: "100\n", acked: "100\n101\n", sent: "100\n101\n");
        Assert.Equal("main-and-late", Assert.Single(report.Violations).Kind);
    }

    [Fact]
    public void In_dedupe_mode_a_value_twice_in_late_is_doubled()
    {
        var report = Run(main: "200\n", late: "100\n100\n", sent: "100\n200\n");
        Assert.Equal("doubled", Assert.Single(report.Violations).Kind);
    }

    [Fact]
    public void An_acknowledged_value_only_in_late_did_not_land_in_order()
    {
        var report = Run(main: "100\n102\n", late: "101\n", acked: "100\n101\n102\n", sent: "100\n101\n102\n");
        Assert.Equal("acked-late", Assert.Single(report.Violations).Kind);
    }

    [Fact]
    public void A_stored_value_no_client_sent_is_reported_unless_a_client_without_a_record_lived_then()
    {
        Assert.Equal("unsent", Assert.Single(Run(main: "100\n555\n", sent: "100\n").Violations).Kind);
        Assert.True(Run(main: "100\n555\n", sent: "100\n", unrecorded: [new Window(500, 600)]).Ok);
    }

    [Fact]
    public void A_plain_value_lost_outside_the_windows_around_server_stops_is_reported_and_inside_them_is_not()
    {
        var report = Run(main: "100\n", required: "100\n101\n", sent: "100\n101\n");
        Assert.Equal("lost-plain", Assert.Single(report.Violations).Kind);
        Assert.True(Run(main: "100\n", required: "100\n101\n", sent: "100\n101\n", excused: [new Window(101, 101)]).Ok);
    }

    [Fact]
    public void Order_is_strict_in_dedupe_mode_and_non_decreasing_with_keep_duplicates()
    {
        Assert.Contains(Run(main: "100\n100\n", sent: "100\n100\n").Violations, v => v.Kind == "order");
        Assert.True(Run(main: "100\n100\n", sent: "100\n100\n", keep: true).Ok);
        Assert.Contains(Run(main: "101\n100\n", sent: "100\n101\n", keep: true).Violations, v => v.Kind == "order");
    }

    [Fact]
    public void A_torn_or_malformed_line_is_reported()
    {
        Assert.Contains(Run(main: "100\n10", sent: "100\n10\n").Violations, v => v.Kind == "torn");
        Assert.Contains(Run(main: "100\nabc\n", sent: "100\n").Violations, v => v.Kind == "malformed");
        Assert.Contains(Run(main: "100\n1234567890123456789\n", sent: "100\n").Violations, v => v.Kind == "malformed");
    }

    private CheckReport Run(string main, string late = "", string acked = "", string sent = "", string required = "", bool keep = false, Window[]? excused = null, Window[]? unrecorded = null)
    {
        var output = Write("out.txt", main);
        if (late.Length > 0)
        {
            Write("out.txt.late", late);
        }
        else
        {
            File.Delete(output + ".late");
        }

        return Check.Run(new CheckInput
        {
            Output = output,
            KeepDuplicates = keep,
            Acked = acked.Length > 0 ? [Write("acked", acked)] : [],
            Sent = [Write("sent", sent)],
            Required = required.Length > 0 ? [Write("required", required)] : [],
            Excused = excused ?? [],
            Unrecorded = unrecorded ?? [],
        });
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }
}
