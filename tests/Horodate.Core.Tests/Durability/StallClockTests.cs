using Horodate.Core.Durability;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Horodate.Core.Tests.Durability;

/// <summary>What counts as time the server did not read its sources (the stall clock under the engine's timeouts).</summary>
public sealed class StallClockTests
{
    [Fact]
    public void A_gap_longer_than_the_allowance_while_sources_are_open_counts_beyond_the_allowance()
    {
        var clock = new FakeTimeProvider();
        var stalls = new StallClock(clock, gapMs: 250);
        _ = stalls.Read();
        clock.Advance(TimeSpan.FromMilliseconds(2_000)); // SIGSTOP for about 2 s
        var now = stalls.Read();
        Assert.Equal(1_750, now.StalledMs);
        Assert.Equal(now.MonoMs - 1_750, now.ListeningMs);
    }

    [Fact]
    public void Without_a_judged_gap_only_failing_writes_stall()
    {
        var clock = new FakeTimeProvider();
        var stalls = new StallClock(clock, gapMs: null);
        _ = stalls.Read();
        clock.Advance(TimeSpan.FromMilliseconds(600_000)); // a caller that steps time itself (tests): its steps are time the server ran
        Assert.Equal(0, stalls.Read().StalledMs);
    }

    [Fact]
    public void All_the_time_writes_fail_is_a_stall_even_in_short_steps()
    {
        var clock = new FakeTimeProvider();
        var stalls = new StallClock(clock, gapMs: 250) { NotReading = true };
        _ = stalls.Read();
        for (var i = 0; i < 30; i++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(10));
            _ = stalls.Read();
        }

        Assert.Equal(300, stalls.Read().StalledMs);
    }

    [Fact]
    public void A_sleep_on_purpose_is_rest_not_a_stall()
    {
        var clock = new FakeTimeProvider();
        var stalls = new StallClock(clock, gapMs: 250);
        _ = stalls.Read();
        stalls.Rest(); // the writer sleeps until woken: nothing is open
        clock.Advance(TimeSpan.FromMilliseconds(600_000));
        Assert.Equal(0, stalls.Read().StalledMs);
        clock.Advance(TimeSpan.FromMilliseconds(1_000)); // then a stall while it runs again
        Assert.Equal(750, stalls.Read().StalledMs);
    }
}
