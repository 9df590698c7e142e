using Horodate.Core.Ordering;
using Horodate.Core.Tests.Support;

namespace Horodate.Core.Tests.Ordering;

/// <summary>
/// A connection that delivers values is alive, even when they are copies the server already has (a reconnected client's
/// resends, a value the files held at a restart): it keeps its hold on the write point, so that its next values land in
/// order. Before, such copies did not count as activity: a resend that outlasted the idle timeout (a backlog through a
/// full socket) ended the connection's hold, and its first new value could be late (simulator seed 2451).
/// </summary>
public sealed class OrderingEngineResendActivityTests
{
    private const long T0 = 1_732_200_000_000;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_connection_resending_for_longer_than_the_idle_timeout_keeps_the_write_point_for_its_next_values(bool dedupe)
    {
        var output = new RecordingOutput { KeepDuplicates = !dedupe };
        var engine = new OrderingEngine(new OrderingOptions { Dedupe = dedupe, IdleTimeoutMs = 1_000, MaxDelayMs = 5_000 }, output, lastWritten: null, nowMs: T0);
        var first = engine.OpenSource(T0);
        engine.Identify(first, "c");
        var backlog = Enumerable.Range(1, 24).Select(i => T0 + (i * 10)).ToArray(); // T0 + 10 to T0 + 240
        engine.Ingest(first, backlog, T0 + 240);
        engine.CloseSource(first); // the network dropped it: the client reconnects and resends what was not acknowledged

        var other = engine.OpenSource(T0 + 250);
        var again = engine.OpenSource(T0 + 300);
        engine.Identify(again, "c");
        for (var i = 0; i < backlog.Length; i++)
        {
            // The backlog through a full socket: a resend every 100 ms for 2.4 s, while another client sends on time.
            var now = T0 + 300 + (i * 100);
            engine.Ingest(other, [now], now);
            engine.Ingest(again, [backlog[i]], now); // copies the engine already has
            engine.Advance(now);
        }

        engine.Ingest(again, [T0 + 2_550], T0 + 2_650); // its first new value, stamped as the resend ended
        engine.Advance(T0 + 2_650);
        engine.CloseSource(again);
        engine.CloseSource(other);
        engine.Advance(T0 + 10_000);

        Assert.Empty(output.Late);
        Assert.Contains(T0 + 2_550, output.Written);
    }

    [Fact]
    public void What_still_arrives_on_a_connection_its_client_replaced_does_not_keep_that_connection_holding_the_write_point()
    {
        var output = new RecordingOutput();
        var engine = new OrderingEngine(new OrderingOptions { IdleTimeoutMs = 1_000 }, output, lastWritten: null, nowMs: T0);
        var left = engine.OpenSource(T0);
        engine.Identify(left, "c");
        engine.Ingest(left, [T0 + 10], T0 + 10);
        var live = engine.OpenSource(T0 + 20);
        engine.Identify(live, "c"); // the client left the first connection; its bytes still read there are dropped
        engine.Ingest(live, [T0 + 10, T0 + 30], T0 + 30);

        for (var now = T0 + 100; now <= T0 + 1_500; now += 100)
        {
            engine.Ingest(left, [T0 + 10], now); // stale bytes: not the client's activity
            engine.Ingest(live, [now], now);
            engine.Advance(now);
        }

        Assert.Equal(T0 + 1_500, engine.Floor); // the left connection no longer holds it at T0 + 10
    }
}
