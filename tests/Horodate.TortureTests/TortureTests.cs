using System.Globalization;
using Horodate.Torture;

namespace Horodate.TortureTests;

/// <summary>
/// The fault-schedule harness in CI: as many schedules as fit in <c>HORODATE_TORTURE_MINUTES</c> (4 by
/// default), from a first seed drawn from the date, so every day explores new schedules and any failure
/// replays with <c>scripts/torture.sh --seed S</c>. Skip it locally with <c>--filter "Category!=Torture"</c>.
/// </summary>
public sealed class TortureTests(ITestOutputHelper output)
{
    [Fact]
    [Trait("Category", "Torture")]
    public async Task Every_schedule_of_faults_keeps_the_promises_of_the_README()
    {
        var minutes = double.TryParse(Environment.GetEnvironmentVariable("HORODATE_TORTURE_MINUTES"), CultureInfo.InvariantCulture, out var m) ? m : 4;
        var firstSeed = long.Parse(DateTime.UtcNow.ToString("yyyyMMdd", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) * 1000;
        var options = await TortureRun.DefaultOptionsAsync(Path.Combine(Path.GetTempPath(), "horodate-torture-ci"));
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
