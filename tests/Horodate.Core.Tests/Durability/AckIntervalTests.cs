using Horodate.Core.Durability;
using Horodate.Core.Ordering;
using Horodate.Core.Tests.Support;
using Horodate.Simulation;

namespace Horodate.Core.Tests.Durability;

/// <summary>
/// Issue 12 §1: a sending connection is acknowledged at most once per <see cref="IngestOptions.AckIntervalMs"/>, at the
/// sync after it, while the fsync keeps its own cadence; a finished connection's final acknowledgement does not wait.
/// </summary>
public sealed class AckIntervalTests
{
    [Fact]
    public void A_sending_connection_is_acknowledged_once_per_interval_and_its_final_acknowledgement_comes_at_once()
    {
        var clock = new SimClock();
        var core = OpenCore(seed: 1, dedupe: true, clock);
        var target = new RecordingAckTarget();
        var source = core.OpenSource();
        core.EnableAcks(source, "a", target);

        var syncs = 0;
        for (var step = 0; step < 50; step++) // 500 ms of sending, a value and a sync every 10 ms
        {
            core.Ingest(source, [clock.WallMs]);
            clock.Advance(10);
            _ = core.Flush(final: false);
            syncs += core.RunSync() ? 1 : 0;
        }

        Assert.True(syncs >= 40, $"{syncs} syncs"); // the fsync keeps its 10 ms cadence
        Assert.InRange(target.Delivered.Count, 4, 6); // one acknowledgement per 100 ms, not one per sync
        Assert.Equal(target.Delivered.Order(), target.Delivered);

        var last = clock.WallMs;
        core.Ingest(source, [last]);
        core.FinishSource(source);
        clock.Advance(1);
        _ = core.Flush(final: false);
        Assert.True(core.RunSync());
        Assert.Equal(last, target.Final); // not held for the interval
    }

    [Fact]
    public void Connections_opened_together_are_acknowledged_spread_over_the_interval_not_all_at_the_same_sync()
    {
        const int Connections = 100;
        var clock = new SimClock();
        var core = OpenCore(seed: 2, dedupe: false, clock);
        var targets = new RecordingAckTarget[Connections];
        var sources = new int[Connections];
        for (var i = 0; i < Connections; i++)
        {
            targets[i] = new RecordingAckTarget();
            sources[i] = core.OpenSource();
            core.EnableAcks(sources[i], $"c{i}", targets[i]);
        }

        var perSync = new List<int>();
        for (var step = 0; step < 100; step++) // 1 s: every connection sends every 10 ms, a sync every 10 ms
        {
            for (var i = 0; i < Connections; i++)
            {
                core.Ingest(sources[i], [clock.WallMs]);
            }

            clock.Advance(10);
            _ = core.Flush(final: false);
            var before = targets.Sum(t => t.Delivered.Count);
            _ = core.RunSync();
            perSync.Add(targets.Sum(t => t.Delivered.Count) - before);
        }

        // After the first acknowledgements (the ramp's), no sync tells more than a fraction of the connections:
        // 100 connections over 10 syncs per interval is 10 a sync on average; all at once would be 100.
        Assert.InRange(perSync.Skip(20).Max(), 1, 25);
        foreach (var target in targets)
        {
            Assert.InRange(target.Delivered.Count, 9, 12); // still about once per 100 ms each, over 1 s
            Assert.Equal(target.Delivered.Order(), target.Delivered);
        }
    }

    /// <summary>A core on a simulated disk that syncs every 10 ms and acknowledges a sending source every 100 ms.</summary>
    private static IngestCore OpenCore(ulong seed, bool dedupe, SimClock clock)
    {
        var options = new IngestOptions
        {
            Output = "/t/out.txt",
            SyncIntervalMs = 10,
            AckIntervalMs = 100,
            Ordering = new OrderingOptions { Dedupe = dedupe, MaxDelayMs = 500, MaxFutureMs = 1_000, IdleTimeoutMs = 100 },
        };
        return IngestCore.Open(options, new SimFileSystem(new SimRandom(seed)), clock, NullEvents.Instance);
    }
}
