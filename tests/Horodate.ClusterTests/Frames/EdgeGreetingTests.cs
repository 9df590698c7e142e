using Horodate.Server.Sinks.JetStream;

namespace Horodate.ClusterTests.Frames;

/// <summary>
/// An edge's <c>OK</c> to an acknowledged client waits for the root's hold (<see cref="EdgeGreeting"/>): for the PubAck
/// of the edge's active frame, so that the client's first value is stamped after that frame is in the stream.
/// </summary>
public sealed class EdgeGreetingTests
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMilliseconds(200);

    [Fact]
    public void A_clients_OK_waits_for_the_PubAck_of_the_edges_active_frame()
    {
        var jetStream = new FakePublisher { Down = true, LandWhileDown = false };
        var frames = new FrameSequence(jetStream, "e1", PublishTimeout);
        var greeting = new EdgeGreeting(frames);
        var announcer = new EdgeAnnouncer(frames, () => (1, 0), greeting);
        var greeted = 0;

        greeting.Greet(() => greeted++); // the hello of the edge's first connection
        _ = announcer.Check(); // nats-server down: the active frame fails
        Assert.Equal(0, greeted);

        jetStream.Down = false;
        _ = announcer.Check();
        Assert.Equal(1, greeted);
        Assert.Equal([Frame.Active], jetStream.Stream.Select(f => f.Kind));

        greeting.Greet(() => greeted++); // the root holds for the edge already: at once
        Assert.Equal(2, greeted);
        Assert.Equal(0, greeting.Waiting);
    }

    [Fact]
    public void After_an_idle_frame_in_doubt_a_clients_OK_waits_for_the_next_active_frame()
    {
        var jetStream = new FakePublisher();
        var frames = new FrameSequence(jetStream, "e1", PublishTimeout);
        var greeting = new EdgeGreeting(frames);
        Assert.True(frames.TryAnnounce(Frame.Active, wait: true));
        jetStream.Down = true;
        jetStream.LandWhileDown = true;
        Assert.False(frames.TryAnnounce(Frame.Idle, wait: true)); // it may have landed: the root may hold no more
        jetStream.Down = false;
        var greeted = false;

        greeting.Greet(() => greeted = true);
        Assert.False(greeted);
        _ = new EdgeAnnouncer(frames, () => (1, 0), greeting).Check();

        Assert.True(greeted);
        Assert.Equal([Frame.Active, Frame.Idle, Frame.Active], jetStream.Stream.Select(f => f.Kind));
    }
}
