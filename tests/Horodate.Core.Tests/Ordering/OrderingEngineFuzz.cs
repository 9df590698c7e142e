using Horodate.Core.Ordering;
using Horodate.Core.Tests.Support;

namespace Horodate.Core.Tests.Ordering;

/// <summary>Unconstrained random operations: any value a line can hold, any order, any clock.</summary>
public sealed class OrderingEngineFuzz
{
    [Fact]
    public void Fuzz_100000_random_sequences_never_throw_and_account_for_every_value()
    {
        var random = new Random(4321);
        for (var round = 0; round < 100_000; round++)
        {
            var options = new OrderingOptions
            {
                Dedupe = random.Next(2) == 0,
                IdleTimeoutMs = random.Next(1, 3_000),
                MaxDelayMs = random.Next(1, 2_000),
                MaxFutureMs = random.Next(0, 2_000),
                ResumeGraceMs = random.Next(0, 3_000),
                DedupeHistoryBits = random.Next(6, 14), // small rings: 100,000 engines, and wrap-around gets exercised
            };
            var output = new RecordingOutput { KeepDuplicates = !options.Dedupe }; // asserts strictly increasing writes
            var now = random.NextInt64(0, 2_000_000_000_000);
            long? last = random.Next(3) == 0 ? random.NextInt64(0, now + 1) : null;
            var engine = new OrderingEngine(options, output, last, now);
            var open = new List<int>();
            long received = 0;
            for (var op = random.Next(1, 20); op > 0; op--)
            {
                now += random.Next(-5, 2_000); // clocks may even step back a little
                switch (random.Next(6))
                {
                    case 0:
                        open.Add(engine.OpenSource(now));
                        if (random.Next(3) == 0)
                        {
                            engine.Identify(open[^1], random.Next(3) == 0 ? null : $"c{random.Next(3)}");
                        }

                        break;
                    case 1 when open.Count > 0:
                        var closing = random.Next(open.Count);
                        engine.CloseSource(open[closing]);
                        open.RemoveAt(closing);
                        break;
                    case 2 or 3 when open.Count > 0:
                        var values = new long[random.Next(1, 8)];
                        for (var i = 0; i < values.Length; i++)
                        {
                            values[i] = random.Next(4) switch
                            {
                                0 => random.NextInt64(0, 1_000_000_000_000_000_000), // anything 18 digits hold
                                1 => 0,
                                _ => now + random.Next(-10_000, 10_000),
                            };
                        }

                        engine.Ingest(open[random.Next(open.Count)], values, now);
                        received += values.Length;
                        _ = engine.AckPoint(open[0]);
                        break;
                    case 4:
                        engine.Advance(now);
                        break;
                    default:
                        engine.Drain();
                        break;
                }
            }

            engine.Drain();
            var c = engine.Counters;
            Assert.Equal(received, c.Received);
            Assert.Equal(output.Written.Count, c.Written);
            Assert.Equal(output.Late.Count, c.Late);
            Assert.Equal(0, engine.BufferedValues);
            Assert.Equal(received, c.Written + c.Late + c.Duplicates + c.RejectedFuture + c.Resent);
        }
    }
}
