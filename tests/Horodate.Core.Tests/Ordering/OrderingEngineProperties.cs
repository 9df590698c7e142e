using FsCheck;
using FsCheck.Fluent;
using Horodate.Core.Ordering;
using Horodate.Core.Tests.Support;

namespace Horodate.Core.Tests.Ordering;

/// <summary>
/// Random scenarios against the engine's contract: sources open, send non-decreasing values in random
/// interleavings and batches, fall silent, close and come back, while a fake clock moves and the engine
/// advances at random moments.
/// </summary>
public sealed class OrderingEngineProperties
{
    private const int Cases = 1_000;
    private const long T0 = 1_732_200_000_000;

    /// <summary>The knobs of one random scenario; the seed drives every choice within it.</summary>
    public sealed record Scenario(int Seed, bool Dedupe, int MaxSources, int Steps);

    private static Arbitrary<Scenario> Scenarios =>
        (from seed in Gen.Choose(0, int.MaxValue - 1)
         from dedupe in Gen.Elements(true, false)
         from sources in Gen.Choose(1, 8)
         from steps in Gen.Choose(1, 400)
         select new Scenario(seed, dedupe, sources, steps)).ToArbitrary();

    [Fact]
    public void When_sources_keep_talking_and_clocks_agree_every_value_is_written_in_order_and_none_is_late()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(Cases), Prop.ForAll(Scenarios, s => Run(s, exact: true)));
    }

    [Fact]
    public void Under_any_timing_the_output_is_sorted_and_every_value_is_written_late_or_rejected_exactly_once()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(Cases), Prop.ForAll(Scenarios, s => Run(s, exact: false)));
    }

    private static bool Run(Scenario scenario, bool exact)
    {
        var random = new Random(scenario.Seed);
        var options = exact
            ? new OrderingOptions { Dedupe = scenario.Dedupe, IdleTimeoutMs = long.MaxValue / 4, MaxDelayMs = 3_600_000 }
            : new OrderingOptions
            {
                Dedupe = scenario.Dedupe,
                IdleTimeoutMs = random.Next(20, 500),
                MaxDelayMs = random.Next(50, 2_000),
                MaxFutureMs = random.Next(0, 200),
            };
        var output = new RecordingOutput { KeepDuplicates = !options.Dedupe }; // asserts strictly increasing writes as they happen
        var clock = T0;
        var engine = new OrderingEngine(options, output, lastWritten: null, clock);
        var open = new List<(int Id, long Last, long Opened)>();
        var accepted = new List<long>();

        for (var step = 0; step < scenario.Steps; step++)
        {
            clock += random.Next(0, 31);
            var action = random.Next(100);
            if (open.Count == 0 || (action < 15 && open.Count < scenario.MaxSources))
            {
                open.Add((engine.OpenSource(clock), 0, clock));
            }
            else if (action < 20)
            {
                var i = random.Next(open.Count);
                engine.CloseSource(open[i].Id);
                open.RemoveAt(i);
            }
            else if (action < 80)
            {
                var i = random.Next(open.Count);
                var (id, last, opened) = open[i];
                var batch = new long[random.Next(1, 5)];
                for (var k = 0; k < batch.Length; k++)
                {
                    // Exact: values lie between the source's open time and now, never decreasing (a client in
                    // step with the server). Otherwise: clocks skewed either way, and now and then a step back.
                    var low = exact ? Math.Max(last, opened) : Math.Max(last, clock - 3_000);
                    var value = exact || random.Next(10) > 0
                        ? random.NextInt64(low, Math.Max(low, exact ? clock : clock + 300) + 1)
                        : random.NextInt64(clock - 3_000, clock + 300);
                    batch[k] = value;
                    last = Math.Max(last, value);
                    if (value <= clock + options.MaxFutureMs)
                    {
                        accepted.Add(value);
                    }
                }

                engine.Ingest(id, batch, clock);
                open[i] = (id, last, opened);
            }
            else
            {
                engine.Advance(clock);
            }
        }

        foreach (var (id, _, _) in open)
        {
            engine.CloseSource(id);
        }

        engine.Advance(clock);
        engine.Drain();

        var counters = engine.Counters;
        Assert.Equal(output.Written.Count, counters.Written);
        Assert.Equal(output.Late.Count, counters.Late);
        Assert.Equal(0, engine.BufferedValues);

        if (scenario.Dedupe)
        {
            var expected = accepted.Distinct().Order().ToList();
            Assert.Equal(output.Written.Count, output.Written.Distinct().Count()); // strictly increasing: each value once
            Assert.Empty(output.Written.Intersect(output.Late));
            Assert.Equal(output.Late.Count, output.Late.Distinct().Count());
            Assert.Equal(expected, output.Written.Concat(output.Late).Order().ToList());
            if (exact)
            {
                Assert.Empty(output.Late);
                Assert.Equal(expected, output.Written);
            }
        }
        else
        {
            var expected = accepted.Order().ToList();
            Assert.Equal(expected, output.Written.Concat(output.Late).Order().ToList());
            if (exact)
            {
                Assert.Empty(output.Late);
                Assert.Equal(expected, output.Written);
            }
        }

        return true;
    }
}
