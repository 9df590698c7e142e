using System.CommandLine;
using System.Globalization;
using System.Text;
using Horodate.CommandLine;
using Horodate.Core.Presentation;
using Horodate.Core.Verification;

namespace Horodate.Server.CommandLine;

/// <summary><c>horodate-server verify FILE [--unique] [--expect RECORD]</c>: checks an output file.</summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "The timestamp file to check." };
        var unique = new Option<bool>("--unique") { Description = "Also require every value to appear once (dedupe mode)." };
        var expect = new Option<string?>("--expect")
        {
            Description = "A record of the values sent (horodate-client --record): the file must hold exactly these (as a set with --unique).",
            HelpName = "record",
        };
        var plot = new Option<string?>("--plot")
        {
            Description = "Also draw values per second and the largest gap of each second over time, as an SVG file.",
            HelpName = "file.svg",
        };
        var command = new Command("verify", "Check that a file is sorted (and unique), and optionally that it holds exactly the values of a record. Exits 0 when every check passes, 1 otherwise.")
        {
            file, unique, expect, plot,
        };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(file)!;
            var record = parse.GetValue(expect);
            foreach (var p in new[] { path, record })
            {
                if (p is not null && !File.Exists(p))
                {
                    return CliParsing.Fail("horodate-server verify", $"no such file: {p}");
                }
            }

            var report = TimestampVerifier.Verify(path, parse.GetValue(unique), record);
            Console.WriteLine(Format(path, record, report));
            if (parse.GetValue(plot) is { } svg)
            {
                try
                {
                    File.WriteAllText(svg, SvgPlot.Render(report, Path.GetFileName(path)));
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    return CliParsing.Fail("horodate-server verify", $"--plot: cannot write {svg}: {ex.Message}");
                }

                Console.WriteLine($"plot: {svg}");
            }

            return report.Passed ? 0 : 1;
        });
        return command;
    }

    internal static string Format(string path, string? record, VerifyReport r)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.Append(inv, $"{path}: {r.Values:N0} values, {r.Distinct:N0} distinct");
        sb.AppendLine(r.Min is null ? "" : string.Create(inv, $", from {r.Min} to {r.Max}"));
        sb.Append(inv, $"  sorted       {(r.Inversions == 0 ? "yes" : "NO")} ({r.Inversions:N0} inversions");
        sb.AppendLine(r.FirstInversion is { } f ? string.Create(inv, $"; first at line {f.Line}: {f.Value} after {f.Previous})") : ")");
        sb.AppendLine(string.Create(inv, $"  duplicates   {r.Duplicates:N0}{(r.RequireUnique && r.Duplicates > 0 ? "  (--unique: FAIL)" : "")}"));
        sb.AppendLine(string.Create(inv, $"  malformed    {r.MalformedLines:N0} lines{(r.TornTail ? ", and the last line has no newline" : "")}"));
        sb.AppendLine(string.Create(inv, $"  rate         {r.ValuesPerSecond:N1} values/s on average, {r.PeakPerSecond:N0} in the busiest second"));
        if (r.LargestGaps.Count > 0)
        {
            sb.AppendLine("  largest gaps " + string.Join(", ", r.LargestGaps.Select(g => string.Create(inv, $"{g.To - g.From:N0} ms after {g.From}"))));
        }

        if (r.Expected is { } expected)
        {
            sb.AppendLine(string.Create(inv, $"  expected     {expected:N0} values from {record}{(r.RequireUnique ? " (compared as sets)" : " (compared with their counts)")}"));
            sb.AppendLine(string.Create(inv, $"  missing      {r.Missing:N0}{Samples(r.MissingSamples)}"));
            sb.AppendLine(string.Create(inv, $"  unexpected   {r.Unexpected:N0}{Samples(r.UnexpectedSamples)}"));
        }

        sb.Append(r.Passed ? "OK" : "FAILED");
        return sb.ToString();
    }

    private static string Samples(IReadOnlyList<long> samples) =>
        samples.Count == 0 ? "" : $"  (e.g. {string.Join(", ", samples)})";
}
