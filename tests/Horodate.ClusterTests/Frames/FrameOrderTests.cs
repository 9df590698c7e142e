using Horodate.Server.Sources.JetStream;

namespace Horodate.ClusterTests.Frames;

/// <summary>The root's check of each edge's frame numbers (<see cref="FrameOrder"/>).</summary>
public sealed class FrameOrderTests
{
    [Fact]
    public void Frames_behind_their_edges_newest_are_found_and_counted_per_edge()
    {
        var order = new FrameOrder();
        Assert.Equal(FrameVerdict.InOrder, order.Check("e1", 10, 1));
        Assert.Equal(FrameVerdict.InOrder, order.Check("e1", 10, 2));
        Assert.Equal(FrameVerdict.InOrder, order.Check("e2", 20, 1));
        Assert.Equal(FrameVerdict.AfterGap, order.Check("e1", 10, 4));
        Assert.Equal(FrameVerdict.Behind, order.Check("e1", 10, 3)); // overtaken by 4
        Assert.Equal(FrameVerdict.Behind, order.Check("e1", 10, 4)); // a copy
        Assert.Equal(FrameVerdict.InOrder, order.Check("e1", 11, 1)); // the edge restarted
        Assert.Equal(FrameVerdict.Behind, order.Check("e1", 10, 5)); // its previous life
        Assert.Equal(FrameVerdict.InOrder, order.Check("e2", 20, 2));
        Assert.Equal(3, order.Behind);
        Assert.Equal(1, order.Gaps);
    }

    [Fact]
    public void Frames_without_numbers_are_taken_as_they_come()
    {
        var order = new FrameOrder();
        Assert.Equal(FrameVerdict.InOrder, order.Check("e1", 0, 0));
        Assert.Equal(FrameVerdict.InOrder, order.Check("e1", 0, 0));
        Assert.Equal(0, order.Behind);
    }
}
