using System.Text;
using Horodate.Torture;

namespace Horodate.TortureTests;

/// <summary>What the harness draws: the same schedule from the same seed, within the stated bounds.</summary>
public sealed class ScheduleTests
{
    [Fact]
    public void The_same_seed_draws_the_same_schedule()
    {
        for (long seed = 0; seed < 200; seed++)
        {
            Assert.Equal(Schedule.Draw(seed, diskFaults: true).ToString(), Schedule.Draw(seed, diskFaults: true).ToString());
        }
    }

    [Fact]
    public void Schedules_stay_within_their_bounds_and_cover_every_kind_of_fault()
    {
        var kinds = new HashSet<FaultKind>();
        var keep = 0;
        for (long seed = 0; seed < 1000; seed++)
        {
            var schedule = Schedule.Draw(seed, diskFaults: true);
            Assert.InRange(schedule.Connections, 50, 200);
            Assert.Contains(schedule.Clients, c => c.Acknowledged);
            Assert.All(schedule.Clients, c => Assert.True(c.Connections >= 10));
            keep += schedule.KeepDuplicates ? 1 : 0;

            // Server and disk faults one after another, the last leaving time for the resends to be acknowledged.
            var exclusive = schedule.Faults.Where(f => f.HitsServer || f.Kind == FaultKind.DiskFull).ToList();
            for (var i = 1; i < exclusive.Count; i++)
            {
                Assert.True(exclusive[i].At >= exclusive[i - 1].At + exclusive[i - 1].Length, $"seed {seed}: faults overlap");
            }

            Assert.All(exclusive, f => Assert.True(f.At + f.Length <= schedule.Duration - TimeSpan.FromSeconds(10), $"seed {seed}: {f} ends too late"));
            Assert.All(schedule.Faults.Where(f => f.HitsServer), f => Assert.InRange(f.Length, TimeSpan.Zero, Schedule.MaxOutage));
            Assert.False(schedule.KeepDuplicates && schedule.Faults.Any(f => f.Kind == FaultKind.ClientKill), $"seed {seed}: a client's records lost in keep-duplicates mode");
            kinds.UnionWith(schedule.Faults.Select(f => f.Kind));
        }

        Assert.Equal(Enum.GetValues<FaultKind>().Length, kinds.Count);
        Assert.InRange(keep, 400, 600);
        Assert.DoesNotContain(Schedule.Draw(7, diskFaults: false).Faults, f => f.Kind == FaultKind.DiskFull);
    }

    [Fact]
    public void No_line_of_a_garbage_burst_is_a_value()
    {
        var rng = new Random(42);
        for (var burst = 0; burst < 100; burst++)
        {
            var garbage = RawPeer.Garbage(4096, rng);
            Assert.Equal((byte)'\n', garbage[^1]);
            foreach (var line in Encoding.Latin1.GetString(garbage).Split('\n').SkipLast(1))
            {
                var digits = line.TrimEnd('\r');
                Assert.False(digits.Length is > 0 and <= 18 && digits.All(char.IsAsciiDigit), $"a value in the garbage: \"{line}\"");
            }
        }
    }
}
