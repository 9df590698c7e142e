using System.Text;
using Horodate.Server.Sinks.JetStream;
using Horodate.Server.Sources.JetStream;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Horodate.ClusterTests.Frames;

/// <summary>
/// The root's frame protocol (<see cref="FrameIntake"/>) against a recording ingest path: an edge's lives, frames
/// behind their edge's newest, and a stream that lost its end.
/// </summary>
public sealed class FrameIntakeTests
{
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(5);

    private readonly RecordingSources _sources = new();
    private readonly FakeTimeProvider _clock = new();
    private readonly FrameIntake _intake;
    private ulong _sequence;

    public FrameIntakeTests() => _intake = new FrameIntake(_sources, _clock, IdleTimeout, NullLogger.Instance);

    [Fact]
    public void A_restarted_edges_idle_frame_leaves_its_previous_lifes_source_holding_the_output_until_the_idle_timeout()
    {
        Take("e1", Frame.Active, 1_000, 1);
        Take("e1", Frame.Ordered, 1_000, 2, 100);

        // Killed, restarted under the same id: the new life (its clock ahead) says idle before any connection.
        Take("e1", Frame.Idle, 2_000, 1);
        Assert.Equal(["open 0", "ingest 0: 100"], _sources.Calls);

        // Its hold ends with the idle timeout (the engine's, for a source that sends nothing), then the source goes.
        _clock.Advance(IdleTimeout);
        Take("e2", Frame.Active, 3_000, 1);
        Assert.Contains("finish 0", _sources.Calls);
        _ = _sources.Targets[0].TryDeliverFinal(100);
        Take("e2", Frame.Ordered, 3_000, 2, 200);
        Assert.Contains("close 0", _sources.Calls);
    }

    [Fact]
    public void A_restarted_edge_whose_clock_is_behind_its_previous_start_is_a_new_life_with_a_source_of_its_own()
    {
        Take("e1", Frame.Active, 5_000, 1);
        Take("e1", Frame.Ordered, 5_000, 2, 100);

        Take("e1", Frame.Active, 4_000, 1);
        Take("e1", Frame.Ordered, 4_000, 2, 150);

        Assert.Equal(["open 0", "ingest 0: 100", "open 1", "ingest 1: 150"], _sources.Calls);
        Assert.Equal(0, _intake.FramesBehind);
    }

    [Fact]
    public void A_frame_of_values_behind_its_edges_newest_goes_through_a_source_of_its_own_and_never_moves_the_edge_back()
    {
        Take("e1", Frame.Ordered, 1_000, 1, 100);
        Take("e1", Frame.Ordered, 1_000, 3, 300); // after a gap: taken
        Take("e1", Frame.Ordered, 1_000, 2, 200); // behind: its own source, finished at once (late where below the output)
        Take("e1", Frame.Idle, 1_000, 2); // behind: ignored (it would end the edge's hold)

        Assert.Equal(["open 0", "ingest 0: 100", "ingest 0: 300", "open 1", "ingest 1: 200", "finish 1"], _sources.Calls);
        Assert.Equal(2, _intake.FramesBehind);
    }

    [Fact]
    public void After_the_stream_lost_its_end_new_frames_under_reused_sequence_numbers_are_taken_and_redeliveries_are_not()
    {
        Take("e1", Frame.Ordered, 1_000, 1, 100); // stream sequence 1
        Take("e1", Frame.Ordered, 1_000, 2, 200); // 2
        Take("e1", Frame.Ordered, 1_000, 3, 300); // 3

        // A redelivery of sequence 3: dropped.
        Assert.Equal(FrameIntake.Arrival.Redelivery, _intake.Arrive(Message(3, "e1", Frame.Ordered, 1_000, 3, 300)));

        // nats-server came back without sequences 2 and 3 (lost with the power); the edge's next frame gets 2 again.
        var reused = Message(2, "e1", Frame.Ordered, 1_000, 4, 400);
        Assert.Equal(FrameIntake.Arrival.Take, _intake.Arrive(reused));
        _intake.Take(reused, ackable: true);
        Assert.Equal(FrameIntake.Arrival.Take, _intake.Arrive(Message(3, "e2", Frame.Ordered, 7_000, 1, 500)));

        Assert.Equal(["open 0", "ingest 0: 100", "ingest 0: 200", "ingest 0: 300", "ingest 0: 400"], _sources.Calls);
        Assert.Equal(2UL, _intake.Taken);
    }

    [Fact]
    public void A_killed_lifes_frames_landing_after_its_next_lifes_never_end_the_newer_life_nor_move_it_back()
    {
        Take2(life: 4, incarnation: 9_000, 1, Frame.Active);
        Take2(life: 4, incarnation: 9_000, 2, Frame.Ordered, 100);

        // Killed; its next life (its clock set back: a smaller incarnation) claims life 5 and publishes.
        Take2(life: 5, incarnation: 7_000, 1, Frame.Active);
        Take2(life: 5, incarnation: 7_000, 2, Frame.Ordered, 200);

        // Publishes of the killed life still on their way land now: a frame of values, and its idle frame.
        Take2(life: 4, incarnation: 9_000, 3, Frame.Ordered, 250);
        Take2(life: 4, incarnation: 9_000, 4, Frame.Idle);

        // A life the root never saw (its first-ever frame on its way), older than the newest: behind too.
        Take2(life: 3, incarnation: 8_000, 1, Frame.Active);

        // The newer life's source still holds and takes its values; the late ones went through a source of their own.
        Take2(life: 5, incarnation: 7_000, 3, Frame.Ordered, 300);
        Assert.Equal(["open 0", "ingest 0: 100", "open 1", "ingest 1: 200", "open 2", "ingest 2: 250", "finish 2", "ingest 1: 300"], _sources.Calls);
        Assert.Equal(3, _intake.FramesBehind);
    }

    [Fact]
    public void An_edges_source_holds_the_output_from_its_first_frames_time_in_the_stream_less_the_allowance()
    {
        // The edge's clients stamp only after the active frame's PubAck: a root that takes it late (restarted, behind)
        // must hold from the frame's time, not its own clock's.
        var stored = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
        var active = FrameMessage.From(1, stored, Frame.Headers("e1", Frame.Active, 1, 1_000, 1), ReadOnlyMemory<byte>.Empty, 1UL);
        _intake.Take(active, ackable: true);

        Assert.Equal([$"open 0 from {1_700_000_000_000 - (long)BalancerAllowance.Allowance.TotalMilliseconds}"], _sources.Calls);
    }

    private void Take2(long life, long incarnation, long number, string kind, params long[] values) =>
        TakeOfLife(life, "e1", kind, incarnation, number, values);

    /// <summary>Takes the next frame in the stream, of an edge from before the life numbers.</summary>
    private void Take(string edge, string kind, long incarnation, long number, params long[] values) =>
        TakeOfLife(0, edge, kind, incarnation, number, values);

    private void TakeOfLife(long life, string edge, string kind, long incarnation, long number, params long[] values)
    {
        var message = MessageOfLife(++_sequence, edge, kind, life, incarnation, number, values);
        Assert.Equal(FrameIntake.Arrival.Take, _intake.Arrive(message));
        _intake.Take(message, ackable: true);
    }

    private static FrameMessage Message(ulong sequence, string edge, string kind, long incarnation, long number, params long[] values) =>
        MessageOfLife(sequence, edge, kind, 0, incarnation, number, values);

    private static FrameMessage MessageOfLife(ulong sequence, string edge, string kind, long life, long incarnation, long number, params long[] values) =>
        FrameMessage.From(
            sequence,
            null,
            Frame.Headers(edge, kind, life, incarnation, number),
            Encoding.ASCII.GetBytes(string.Concat(values.Select(v => $"{v}\n"))),
            sequence);
}
