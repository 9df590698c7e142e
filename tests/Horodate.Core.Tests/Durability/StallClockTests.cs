using Horodate.Core.Durability;
using Horodate.Simulation;
using Xunit;

namespace Horodate.Core.Tests.Durability;

/// <summary>What counts as time the server did not read its sources (the stall clock under the engine's timeouts).</summary>
public sealed class StallClockTests
{
    [Fact]
    public void A_gap_longer_than_the_allowance_while_sources_are_open_counts_beyond_the_allowance()
    {
        var clock = new SimClock();
        var stalls = new StallClock(clock, gapMs: 250);
        _ = stalls.Read(sourcesOpen: true);
        clock.Advance(2_000); // SIGSTOP for about 2 s
        var now = stalls.Read(sourcesOpen: true);
        Assert.Equal(1_750, now.StalledMs);
        Assert.Equal(now.MonoMs - 1_750, now.ListeningMs);
    }

    [Fact]
    public void A_long_sleep_with_no_source_open_is_no_stall()
    {
        var clock = new SimClock();
        var stalls = new StallClock(clock, gapMs: 250);
        _ = stalls.Read(sourcesOpen: false);
        clock.Advance(600_000); // the writer slept ten minutes: nothing was connected
        Assert.Equal(0, stalls.Read(sourcesOpen: false).StalledMs);
    }

    [Fact]
    public void All_the_time_writes_fail_is_a_stall_even_in_short_steps()
    {
        var clock = new SimClock();
        var stalls = new StallClock(clock, gapMs: 250) { NotReading = true };
        _ = stalls.Read(sourcesOpen: true);
        for (var i = 0; i < 30; i++)
        {
            clock.Advance(10);
            _ = stalls.Read(sourcesOpen: true);
        }

        Assert.Equal(300, stalls.Read(sourcesOpen: false).StalledMs);
    }
}
