using System.Globalization;
using Horodate.Simulation;

namespace Horodate.Core.Tests.Simulation;

/// <summary>
/// The deterministic simulator over a fixed seed range (the same schedules every run: a regression net) and
/// over a range seeded by the date (new schedules every day). Together at least 100,000 schedules. A failure
/// names its seed; <c>scripts/simulate.sh --schedules 1 --seed S --trace</c> replays it.
/// </summary>
public sealed class SimulatorFixedSeedsTests
{
    /// <summary>Seeds 1 to 50,000.</summary>
    [Fact]
    public void Fifty_thousand_fixed_schedules_keep_every_promise() => SimulatorRanges.AssertNoViolation(1, 50_000);
}

/// <summary>The date-seeded half (a separate class, so that the runner can run both halves side by side).</summary>
public sealed class SimulatorDatedSeedsTests
{
    /// <summary>50,000 seeds starting from a number drawn from today's date, printed on failure.</summary>
    [Fact]
    public void Fifty_thousand_schedules_seeded_by_the_date_keep_every_promise()
    {
        var today = ulong.Parse(DateTime.UtcNow.ToString("yyyyMMdd", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        SimulatorRanges.AssertNoViolation(today * 1_000_000, 50_000);
    }
}

/// <summary>
/// The acknowledged clients are the client's production connection: the search must reach the schedules that hid the
/// resend bug of stop 19 (an <c>ACK</c> trimming the ring in the middle of a resend through a full socket).
/// </summary>
public sealed class SimulatorClientCoverageTests
{
    /// <summary>
    /// Seeds 1 to 2,000: in at least one schedule in twenty a client reads an ACK in the middle of a resend; the newer
    /// fault classes are reached too.
    /// </summary>
    [Fact]
    public void Acknowledgements_land_in_the_middle_of_resends_in_one_schedule_in_twenty_or_more()
    {
        using var report = new StringWriter();
        var result = SimulationRun.Run(1, 2_000, budget: null, trace: false, report);
        Assert.True(result.Violations == 0, report.ToString());
        Assert.True(result.MidResendSchedules >= 100, $"only {result.MidResendSchedules} of 2,000 schedules read an ACK mid-resend");
        Assert.True(result.PlainFallbackSchedules >= 50, $"only {result.PlainFallbackSchedules} of 2,000 schedules took the server for a plain one (an unanswered hello)");

        // The stop and recovery classes: a finished client giving up at its --ack-wait (the server down, or its
        // acknowledgements pending), the server dying during its recovery at a start, a start on a full disk, a killed
        // client restarted while the server may still hold its old connection.
        Assert.True(result.GaveUpSchedules >= 100, $"only {result.GaveUpSchedules} of 2,000 schedules had a client give up at its --ack-wait");
        Assert.True(result.RecoveryCrashSchedules >= 40, $"only {result.RecoveryCrashSchedules} of 2,000 schedules crashed during a recovery");
        Assert.True(result.FullAtStartSchedules >= 60, $"only {result.FullAtStartSchedules} of 2,000 schedules started on a full disk");
        Assert.True(result.RestartedClientSchedules >= 60, $"only {result.RestartedClientSchedules} of 2,000 schedules restarted a killed client");
    }
}

/// <summary>
/// The tree's simulator (edges, a JetStream stand-in and the root, <c>scripts/simulate.sh --tree</c>) over a fixed seed
/// range: 3,000 schedules (~1 min on a shared 2-core machine).
/// </summary>
public sealed class TreeSimulatorFixedSeedsTests
{
    /// <summary>Seeds 1 to 3,000.</summary>
    [Fact]
    public void Three_thousand_fixed_tree_schedules_keep_every_acknowledged_value_in_order_and_out_of_late()
    {
        using var report = new StringWriter();
        var result = SimulationRun.RunTree(1, 3_000, budget: null, trace: false, report);
        Assert.True(result.Violations == 0, $"{result.Violations} violations in tree seeds 1..3000:\n{report}");
        Assert.Equal(3_000, result.Schedules);
    }
}

internal static class SimulatorRanges
{
    public static void AssertNoViolation(ulong first, long count)
    {
        using var report = new StringWriter();
        var result = SimulationRun.Run(first, count, budget: null, trace: false, report);
        Assert.True(result.Violations == 0, $"{result.Violations} violations in seeds {first}..{first + (ulong)count - 1}:\n{report}");
        Assert.Equal(count, result.Schedules);
    }
}
