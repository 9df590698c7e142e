using System.Globalization;
using Horodate.Torture;
using Horodate.Torture.Tree;

namespace Horodate.TortureTests;

/// <summary>
/// The fault-schedule harness in CI, one mode after the other (one class: never in parallel): as many schedules as fit
/// in each mode's budget, from a first seed drawn from the date, so every day explores new schedules and any failure
/// replays with the command it prints (<c>scripts/torture.sh [--tree] --seed S</c>). Skip them locally with
/// <c>--filter "Category!=Torture"</c>.
/// </summary>
public sealed class TortureTests(ITestOutputHelper output)
{
    /// <summary>The single server's schedules: <c>HORODATE_TORTURE_MINUTES</c>, 3 by default.</summary>
    [Fact]
    [Trait("Category", "Torture")]
    public async Task Every_schedule_of_faults_keeps_the_promises_of_the_README()
    {
        var options = await TortureRun.DefaultOptionsAsync(Path.Combine(Path.GetTempPath(), "horodate-torture-ci"));
        await RunAsync(options, Minutes("HORODATE_TORTURE_MINUTES", 3));
    }

    /// <summary>
    /// The tree's schedules (nats-server, edges, a root; kills and pauses): <c>HORODATE_TORTURE_TREE_MINUTES</c>, 2 by
    /// default. A killed edge comes back under its own id or a new one, as the seed draws (the same-id class once failed
    /// 6 of 6 schedules with a client frozen across the restart; fixed by the frame protocol's new-life rule, seeds 5900
    /// and 7622 pass); <c>HORODATE_TORTURE_TREE_SAME_ID=0</c> draws new ids only.
    /// </summary>
    [Fact]
    [Trait("Category", "Torture")]
    public async Task Every_tree_schedule_of_faults_keeps_the_promises_of_the_README()
    {
        var sameId = Environment.GetEnvironmentVariable("HORODATE_TORTURE_TREE_SAME_ID") != "0";
        var options = await TortureRun.DefaultOptionsAsync(Path.Combine(Path.GetTempPath(), "horodate-torture-tree-ci"), tree: new TreeMode(sameId));
        await RunAsync(options, Minutes("HORODATE_TORTURE_TREE_MINUTES", 2));
    }

    private static double Minutes(string variable, double byDefault) =>
        double.TryParse(Environment.GetEnvironmentVariable(variable), CultureInfo.InvariantCulture, out var m) ? m : byDefault;

    private async Task RunAsync(HarnessOptions options, double minutes)
    {
        var firstSeed = long.Parse(DateTime.UtcNow.ToString("yyyyMMdd", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) * 1000;
        using var log = new StringWriter(CultureInfo.InvariantCulture);
        var budget = TimeSpan.FromMinutes(minutes);

        // Bounded: the last schedule may start just inside the budget and run its full length (under 2 minutes).
        var totals = await TortureRun.RunAsync(options, firstSeed, budget, int.MaxValue, log, TestContext.Current.CancellationToken).WaitAsync(budget + TimeSpan.FromMinutes(3), TestContext.Current.CancellationToken);
        output.WriteLine(log.ToString());
        output.WriteLine(totals.ToString());

        Assert.True(totals.Schedules > 0);
        Assert.True(totals.Violations == 0, $"{totals}:\n{log}");
    }
}
