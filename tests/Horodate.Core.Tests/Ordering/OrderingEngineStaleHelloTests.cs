using Horodate.Core.Ordering;
using Horodate.Core.Tests.Support;

namespace Horodate.Core.Tests.Ordering;

/// <summary>
/// A client's newest connection is the one opened last, whatever the order the server reads the hellos in: a hello
/// read late from a connection the client already left (a server that did not read for a while, then read the
/// connections in any order) must not turn the live connection's values into "resends", dropped yet acknowledged.
/// </summary>
public sealed class OrderingEngineStaleHelloTests
{
    private const long T0 = 1_732_200_000_000;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_left_connections_hello_read_after_the_newer_ones_does_not_make_the_newer_ones_values_resends(bool dedupe)
    {
        var output = new RecordingOutput();
        var engine = new OrderingEngine(new OrderingOptions { Dedupe = dedupe }, output, lastWritten: null, nowMs: T0);
        var left = engine.OpenSource(T0);      // the connection the client gave up on
        var live = engine.OpenSource(T0 + 1);  // its reconnect, opened after it
        engine.Identify(live, "run.3");        // the live hello read first...
        engine.Identify(left, "run.3");        // ...the left one's read after it
        engine.Ingest(left, [T0 + 5], T0 + 5); // what the left one carried: the client resends it on the live one
        engine.CloseSource(left);
        engine.Ingest(live, [T0 + 5, T0 + 10, T0 + 20], T0 + 20);
        engine.CloseSource(live);
        engine.Advance(T0 + 30_000);

        Assert.Equal([T0 + 5, T0 + 10, T0 + 20], output.Written);
        Assert.Equal(1, engine.Counters.Resent); // the left connection's copy
    }

    /// <summary>
    /// Two live connections under one id (a client that reconnected while the server still reads its old connection,
    /// or two clients misconfigured with the same id): what the older one delivers once the newer one said hello is
    /// dropped, so its acknowledgement must not cover it; before, its point rose with every value dropped there.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Values_dropped_on_a_replaced_connection_are_never_acknowledged_there(bool dedupe)
    {
        var output = new RecordingOutput();
        var engine = new OrderingEngine(new OrderingOptions { Dedupe = dedupe }, output, lastWritten: null, nowMs: T0);
        var older = engine.OpenSource(T0);
        engine.Identify(older, "same");
        engine.Ingest(older, [T0 + 1, T0 + 2], T0 + 2);
        var newer = engine.OpenSource(T0 + 3);
        engine.Identify(newer, "same");
        engine.Ingest(older, [T0 + 4, T0 + 6], T0 + 6); // the older one still sends: dropped
        engine.Ingest(newer, [T0 + 5], T0 + 6);
        engine.Advance(T0 + 30_000);

        Assert.Equal([T0 + 1, T0 + 2, T0 + 5], output.Written);
        Assert.Equal(T0 + 2, engine.AckPoint(older)); // not T0 + 6: T0 + 4 and T0 + 6 were never stored
        Assert.Equal(T0 + 5, engine.AckPoint(newer));
        Assert.Equal(2, engine.Counters.Resent);
    }
}
