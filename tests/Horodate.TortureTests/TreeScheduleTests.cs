using Horodate.Torture.Tree;

namespace Horodate.TortureTests;

/// <summary>What the tree mode draws: the same schedule from the same seed, within the stated bounds, the same-id restarts only when asked for.</summary>
public sealed class TreeScheduleTests
{
    [Fact]
    public void The_same_seed_draws_the_same_tree_schedule_and_prints_the_command_that_replays_it()
    {
        for (long seed = 0; seed < 200; seed++)
        {
            Assert.Equal(TreeSchedule.Draw(seed, new TreeMode()).ToString(), TreeSchedule.Draw(seed, new TreeMode()).ToString());
        }

        Assert.Equal("scripts/torture.sh --tree --seed 7", TreeSchedule.Draw(7, new TreeMode()).Replay);
        Assert.Equal("scripts/torture.sh --tree --same-id-restarts --seed 7", TreeSchedule.Draw(7, new TreeMode(SameIdRestarts: true)).Replay);
    }

    [Fact]
    public void Tree_schedules_stay_within_their_bounds_and_cover_every_kind_of_fault()
    {
        var kinds = new HashSet<TreeFaultKind>();
        var balanced = 0;
        var overlapped = 0;
        for (long seed = 0; seed < 1000; seed++)
        {
            var schedule = TreeSchedule.Draw(seed, new TreeMode(SameIdRestarts: true));
            Assert.InRange(schedule.Edges, 2, 3);
            Assert.All(schedule.Clients, n => Assert.InRange(n, 15, 50));
            var inTurn = schedule.Faults.Where(f => !f.Overlapping).ToList();
            Assert.InRange(inTurn.Count, 1, 3);
            Assert.InRange(schedule.Faults.Count - inTurn.Count, 0, 2);
            Assert.All(schedule.Faults.Where(f => f.Overlapping), f => Assert.True(f.Kind is TreeFaultKind.EdgePause or TreeFaultKind.RootPause or TreeFaultKind.ClientPause, $"seed {seed}: {f}"));
            overlapped += inTurn.Count < schedule.Faults.Count ? 1 : 0;
            balanced += schedule.Balancer ? 1 : 0;
            for (var i = 1; i < inTurn.Count; i++)
            {
                Assert.True(inTurn[i].At >= inTurn[i - 1].At + inTurn[i - 1].Length, $"seed {seed}: faults overlap");
            }

            // Every fault ends, the part back up, with the settling time left for the clients' resends.
            Assert.All(schedule.Faults, f => Assert.True(f.At + f.Length <= schedule.Duration - TimeSpan.FromSeconds(8), $"seed {seed}: {f} ends too late"));
            Assert.All(schedule.Faults, f => Assert.InRange(f.Target, 0, (f.Kind == TreeFaultKind.ClientPause ? schedule.Clients.Count : schedule.Edges) - 1));
            Assert.All(schedule.Faults.Where(f => f.Kind == TreeFaultKind.NatsKill), f => Assert.True(f.Length <= TreeSchedule.MaxNatsOutage));
            Assert.All(schedule.Faults, f => Assert.True(f.Length <= TreeSchedule.MaxOutage && f.Length <= TreeSchedule.MaxPause));
            kinds.UnionWith(schedule.Faults.Select(f => f.Kind));
        }

        Assert.Equal(Enum.GetValues<TreeFaultKind>().Length, kinds.Count);
        Assert.InRange(balanced, 400, 600);
        Assert.InRange(overlapped, 550, 780); // 2 schedules in 3
    }

    [Fact]
    public void Without_same_id_restarts_a_seed_draws_the_same_faults_with_every_killed_edge_back_under_a_new_id()
    {
        var sameIdSeen = 0;
        for (long seed = 0; seed < 1000; seed++)
        {
            var sameIds = TreeSchedule.Draw(seed, new TreeMode(SameIdRestarts: true));
            var without = TreeSchedule.Draw(seed, new TreeMode());
            Assert.DoesNotContain(without.Faults, f => f.Kind == TreeFaultKind.EdgeKillSameId);
            Assert.Equal(
                sameIds.Faults.Select(f => f with { Kind = f.Kind == TreeFaultKind.EdgeKillSameId ? TreeFaultKind.EdgeKill : f.Kind }),
                without.Faults);
            Assert.Equal((sameIds with { Faults = without.Faults, SameIdRestarts = false }).ToString(), without.ToString());
            sameIdSeen += sameIds.Faults.Count(f => f.Kind == TreeFaultKind.EdgeKillSameId);
        }

        Assert.True(sameIdSeen > 100, $"only {sameIdSeen} same-id restarts in 1,000 schedules");
    }
}
