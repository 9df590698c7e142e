using Horodate.Server.Sources.JetStream;

namespace Horodate.ClusterTests.Frames;

/// <summary>The root's check of each edge's frame numbers (<see cref="FrameOrder"/>).</summary>
public sealed class FrameOrderTests
{
    [Fact]
    public void Frames_behind_their_edges_newest_are_found_and_counted_per_edge()
    {
        var order = new FrameOrder();
        Assert.Equal(FrameVerdict.InOrder, order.Check("e1", 0, 10, 1));
        Assert.Equal(FrameVerdict.InOrder, order.Check("e1", 0, 10, 2));
        Assert.Equal(FrameVerdict.InOrder, order.Check("e2", 0, 20, 1));
        Assert.Equal(FrameVerdict.AfterGap, order.Check("e1", 0, 10, 4));
        Assert.Equal(FrameVerdict.Behind, order.Check("e1", 0, 10, 3)); // overtaken by 4
        Assert.Equal(FrameVerdict.Behind, order.Check("e1", 0, 10, 4)); // a copy
        Assert.Equal(FrameVerdict.NewLife, order.Check("e1", 0, 11, 1)); // the edge restarted
        Assert.Equal(FrameVerdict.Behind, order.Check("e1", 0, 10, 5)); // its previous life
        Assert.Equal(FrameVerdict.InOrder, order.Check("e2", 0, 20, 2));
        Assert.Equal(3, order.Behind);
        Assert.Equal(1, order.Gaps);
    }

    [Fact]
    public void Frames_without_numbers_are_taken_as_they_come()
    {
        var order = new FrameOrder();
        Assert.Equal(FrameVerdict.InOrder, order.Check("e1", 0, 0, 0));
        Assert.Equal(FrameVerdict.InOrder, order.Check("e1", 0, 0, 0));
        Assert.Equal(0, order.Behind);
    }

    [Fact]
    public void A_restarted_edge_begins_a_new_life_whatever_its_clock_says_and_its_previous_life_is_over()
    {
        var order = new FrameOrder();
        Assert.Equal(FrameVerdict.InOrder, order.Check("e1", 0, 5_000, 1));
        Assert.Equal(FrameVerdict.InOrder, order.Check("e1", 0, 5_000, 2));

        // Restarted with its clock set back: a smaller incarnation, yet the newer life (the stream's order says so).
        Assert.Equal(FrameVerdict.NewLife, order.Check("e1", 0, 4_000, 3)); // its first frame seen may be any (an idle one in doubt, say)
        Assert.Equal(FrameVerdict.InOrder, order.Check("e1", 0, 4_000, 4));
        Assert.Equal(FrameVerdict.Behind, order.Check("e1", 0, 5_000, 3)); // the previous life, over
        Assert.Equal(FrameVerdict.NewLife, order.Check("e1", 0, 6_000, 1));
        Assert.Equal(FrameVerdict.Behind, order.Check("e1", 0, 4_000, 5));
        Assert.Equal(2, order.Restarts);
        Assert.Equal(2, order.Behind);
    }

    [Fact]
    public void A_frame_is_new_only_if_it_is_ahead_of_its_lifes_newest_or_of_a_life_not_seen()
    {
        var order = new FrameOrder();
        Assert.True(order.IsNew("e1", 0, 10, 1));
        _ = order.Check("e1", 0, 10, 1);
        _ = order.Check("e1", 0, 10, 2);
        Assert.False(order.IsNew("e1", 0, 10, 2));
        Assert.True(order.IsNew("e1", 0, 10, 3));
        Assert.True(order.IsNew("e1", 0, 11, 1));
        _ = order.Check("e1", 0, 11, 1);
        Assert.False(order.IsNew("e1", 0, 10, 3));
        Assert.False(order.IsNew("e1", 0, 0, 0)); // no numbers: nothing to tell it by
    }

    [Fact]
    public void Lives_are_ordered_by_their_number_so_a_killed_lifes_late_frames_are_behind_even_when_the_root_never_saw_that_life()
    {
        var order = new FrameOrder();
        Assert.Equal(FrameVerdict.InOrder, order.Check("e1", 5, 9_000, 1));
        Assert.Equal(FrameVerdict.Behind, order.Check("e1", 4, 8_000, 7)); // an older life, never seen: not a new one
        Assert.False(order.IsNew("e1", 4, 8_000, 8));
        Assert.Equal(FrameVerdict.InOrder, order.Check("e1", 5, 9_000, 2)); // life 5 untouched
        Assert.Equal(FrameVerdict.NewLife, order.Check("e1", 6, 3_000, 1)); // a newer life, its clock set back
        Assert.Equal(FrameVerdict.Behind, order.Check("e1", 5, 9_000, 3));
        Assert.Equal(FrameVerdict.NewLife, order.Check("e1", 6, 4_000, 1)); // the same number: a stream that lost its end
        Assert.Equal(2, order.Restarts);
    }
}
