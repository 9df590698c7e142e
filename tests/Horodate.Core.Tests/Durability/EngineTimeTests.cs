using System.Text;
using Horodate.Core.Durability;
using Horodate.Core.Ordering;
using Horodate.Simulation;

namespace Horodate.Core.Tests.Durability;

/// <summary>Issue 10 defects 2 and 8: the engine's timeouts on the monotonic clock; the resume grace.</summary>
public sealed class EngineTimeTests
{
    private sealed class Recorder : IOrderedOutput
    {
        public List<long> Written { get; } = [];

        public List<long> Late { get; } = [];

        public void Write(long value, int count) => Written.Add(value);

        public void WriteLate(long value) => Late.Add(value);
    }

    private static readonly OrderingOptions Options = new();

    [Fact]
    public void A_wall_clock_step_forward_beyond_the_idle_timeout_does_not_expire_the_sources()
    {
        var output = new Recorder();
        const long Wall = 1_700_000_000_000;
        var engine = new OrderingEngine(Options, output, null, new EngineTime(Wall, 0), resumed: false);
        var fast = engine.OpenSource(new EngineTime(Wall, 0));
        var slow = engine.OpenSource(new EngineTime(Wall, 0));
        engine.Ingest(fast, [Wall + 100], new EngineTime(Wall, 0));
        engine.Ingest(slow, [Wall + 10], new EngineTime(Wall, 0));

        // The wall clock jumps an hour ahead, 10 ms of real time later.
        var jumped = new EngineTime(Wall + 3_600_000, 10);
        engine.Advance(jumped);
        engine.Ingest(slow, [Wall + 50], jumped);
        engine.Advance(jumped);

        Assert.Equal(2, engine.ActiveSources); // neither expired
        Assert.Empty(output.Late); // the slow source still held the watermark: its value is in order
        Assert.Equal([Wall + 10], output.Written); // and still holds it at its high
    }

    [Fact]
    public void A_wall_clock_step_back_does_not_freeze_the_idle_timeout()
    {
        var output = new Recorder();
        const long Wall = 1_700_000_000_000;
        var engine = new OrderingEngine(Options, output, null, new EngineTime(Wall, 0), resumed: false);
        var silent = engine.OpenSource(new EngineTime(Wall, 0));
        var talking = engine.OpenSource(new EngineTime(Wall, 0));
        engine.Ingest(silent, [Wall], new EngineTime(Wall, 0));
        engine.Ingest(talking, [Wall + 1], new EngineTime(Wall, 0));

        // The wall clock steps back 5 s; real time goes on past the idle timeout.
        var later = new EngineTime(Wall - 5_000, Options.IdleTimeoutMs + 10);
        engine.Ingest(talking, [Wall + 2], later);
        engine.Advance(later);

        Assert.Equal(1, engine.ActiveSources); // the silent one expired on time
        Assert.Contains(Wall + 1, output.Written);
    }

    [Theory]
    [InlineData(1_000)]
    [InlineData(9_000)]
    [InlineData(20_000)]
    public void After_an_outage_within_the_bound_the_resends_land_in_order_not_in_late(long outageMs)
    {
        var output = new Recorder();
        const long Last = 1_700_000_000_000;
        var restart = new EngineTime(Last + outageMs, 0);
        var engine = new OrderingEngine(Options, output, Last, restart, resumed: true);
        Assert.True(engine.CoveredOutageMs >= 20_000, $"covered outage {engine.CoveredOutageMs} ms");

        // A client reconnects with backoff (6 s) and resends what it sent since the file's last value.
        var reconnect = new EngineTime(Last + outageMs + 6_000, 6_000);
        engine.Advance(reconnect);
        var source = engine.OpenSource(reconnect);
        var resends = Enumerable.Range(1, 100).Select(i => Last + (i * 50)).Where(v => v < Last + outageMs).ToArray();
        engine.Ingest(source, resends, reconnect);
        engine.Ingest(source, [reconnect.WallMs], reconnect);
        engine.CloseSource(source);
        engine.Advance(new EngineTime(reconnect.WallMs + 2_000, 8_000));

        Assert.Empty(output.Late);
        Assert.Equal([.. resends, reconnect.WallMs], output.Written);
    }
}
