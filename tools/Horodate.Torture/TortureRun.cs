using System.Diagnostics;
using System.Globalization;
using Horodate.Torture.Tree;

namespace Horodate.Torture;

/// <summary>The totals of a run: the closing line <c>N schedules, N faults, N violations</c>.</summary>
internal sealed record TortureTotals(int Schedules, int Faults, int Violations, IReadOnlyList<ScheduleResult> Failures)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Schedules} schedules, {Faults} faults, {Violations} violations");
}

/// <summary>Runs schedules one after another, from a first seed, for a time budget (or one seed, to replay it).</summary>
internal static class TortureRun
{
    /// <summary>
    /// Runs schedules <paramref name="firstSeed"/>, +1, … while the next one's expected length still fits in
    /// <paramref name="budget"/> (at least one runs); <paramref name="count"/> caps their number.
    /// </summary>
    public static async Task<TortureTotals> RunAsync(HarnessOptions options, long firstSeed, TimeSpan budget, int count, TextWriter output, CancellationToken stop)
    {
        var started = Stopwatch.GetTimestamp();
        var schedules = 0;
        var faults = 0;
        var violations = 0;
        var failures = new List<ScheduleResult>();
        for (var seed = firstSeed; schedules < count && !stop.IsCancellationRequested; seed++)
        {
            IFaultSchedule schedule = options.Tree is { } tree ? TreeSchedule.Draw(seed, tree) : Schedule.Draw(seed, options.DiskFaults);
            if (schedules > 0 && Stopwatch.GetElapsedTime(started) + schedule.ExpectedLength > budget)
            {
                break;
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seed {seed}: {schedule}"));
            var result = await schedule.RunAsync(options, stop).ConfigureAwait(false);
            if (result.Interrupted)
            {
                output.WriteLine($"  interrupted after {result.Elapsed.TotalSeconds:0.0} s: not counted (files in {result.Directory})");
                break;
            }

            schedules++;
            faults += result.FaultsInjected;
            violations += result.Violations.Count;
            var verdict = result.Ok ? "OK" : string.Create(CultureInfo.InvariantCulture, $"{result.Violations.Count} violations");
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {verdict} in {result.Elapsed.TotalSeconds:0.0} s, {result.FaultsInjected} faults injected"));
            if (!result.Ok)
            {
                failures.Add(result);
                foreach (var violation in result.Violations)
                {
                    output.WriteLine($"  ! {violation}");
                }

                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  replay: {schedule.Replay}   (files kept in {result.Directory})"));
            }

            output.Flush();
        }

        return new TortureTotals(schedules, faults, violations, failures);
    }

    /// <summary>A first seed that changes every minute, so that every run explores new schedules; printed, so any one replays.</summary>
    public static long SeedFromClock() => long.Parse(DateTime.UtcNow.ToString("yyyyMMddHHmm", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) * 100;

    /// <summary>The programs, from the build's artifacts (or beside the harness, as in the tests' output).</summary>
    public static async Task<HarnessOptions> DefaultOptionsAsync(string? workDir = null, bool keepFiles = false, TreeMode? tree = null)
    {
        static string Find(string project, string name)
        {
            var beside = Path.Combine(AppContext.BaseDirectory, name);
            if (File.Exists(beside))
            {
                return beside;
            }

            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var built = Path.Combine(dir.FullName, "artifacts", "bin", project, "release", name);
                if (File.Exists(built))
                {
                    return built;
                }
            }

            throw new FileNotFoundException($"{name} not found: run dotnet build -c Release first");
        }

        var work = workDir ?? Path.Combine(Path.GetTempPath(), "horodate-torture");
        Directory.CreateDirectory(work);
        return new HarnessOptions
        {
            Server = Find("Horodate.Server", "horodate-server"),
            Client = Find("Horodate.Client", "horodate-client"),
            Checker = Find("Horodate.Checker", "horodate-checker"),
            WorkDir = work,
            KeepFiles = keepFiles,
            Tree = tree,
            DiskFaults = await Disk.CanMountAsync(Path.Combine(work, "probe")).ConfigureAwait(false),
        };
    }
}
