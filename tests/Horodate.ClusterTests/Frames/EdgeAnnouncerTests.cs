using System.Text;
using Horodate.FunctionalTests.Support;
using Horodate.Server.Sinks.JetStream;

namespace Horodate.ClusterTests.Frames;

/// <summary>
/// When an edge says it is active or idle (<see cref="EdgeAnnouncer"/>): idle only from the writer, after the frames
/// of everything it took, and never once a connection has opened.
/// </summary>
public sealed class EdgeAnnouncerTests
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task The_short_check_never_says_idle_while_the_writer_is_still_publishing_values()
    {
        // The last connection has gone and nothing is buffered, but the writer's frame of its values is still on its
        // way (PubAck not in): the check, off the writer's thread, must not announce idle, only ask the writer.
        var jetStream = new FakePublisher();
        var frames = new FrameSequence(jetStream, "e1", PublishTimeout);
        var files = new FrameFileSystem(frames, "out.txt");
        using var output = files.Open("out.txt");
        var announcer = new EdgeAnnouncer(frames, () => (0, 0));
        Assert.True(frames.TryAnnounce(Frame.Active, wait: true));
        using var gate = new SemaphoreSlim(0);
        jetStream.Gate = gate;
        var writing = Task.Run(() => output.Write(0, Encoding.ASCII.GetBytes("100\n")), TestContext.Current.CancellationToken);
        Assert.True(await Within.PollAsync(() => jetStream.InFlight == 1, Within.Short));

        Assert.True(announcer.Check()); // "the writer may say idle": the check itself publishes nothing
        Assert.Equal([Frame.Active], jetStream.Stream.Select(f => f.Kind));
        gate.Release(10);
        await writing.WaitAsync(Within.Short, TestContext.Current.CancellationToken);
        announcer.Flushed(); // the writer's step after its write: now idle

        Assert.Equal([Frame.Active, Frame.Ordered, Frame.Idle], jetStream.Stream.Select(f => f.Kind));
    }

    [Fact]
    public void A_connection_opened_after_the_writer_found_the_edge_idle_cancels_the_idle_frame()
    {
        var jetStream = new FakePublisher();
        var frames = new FrameSequence(jetStream, "e1", PublishTimeout);
        Assert.True(frames.TryAnnounce(Frame.Active, wait: true));
        var looks = 0;
        // Idle at the writer's first look; by the time it holds the sequence's gate, a connection has opened.
        var announcer = new EdgeAnnouncer(frames, () => Interlocked.Increment(ref looks) == 1 ? (0, 0) : (1, 0));

        announcer.Flushed();

        Assert.Equal([Frame.Active], jetStream.Stream.Select(f => f.Kind));
        Assert.True(looks >= 2);
    }

    [Fact]
    public void An_edge_says_active_when_a_connection_opens_and_idle_once_its_writer_has_published_everything()
    {
        var jetStream = new FakePublisher();
        var frames = new FrameSequence(jetStream, "e1", PublishTimeout);
        var open = 1;
        var announcer = new EdgeAnnouncer(frames, () => (Volatile.Read(ref open), 0));

        Assert.False(announcer.Check());
        announcer.Flushed(); // a connection is open: not idle
        Volatile.Write(ref open, 0);
        Assert.True(announcer.Check());
        announcer.Flushed();

        Assert.Equal([(Frame.Active, 1L), (Frame.Idle, 2L)], jetStream.Stream.Select(f => (f.Kind, f.Number)));
        Assert.False(announcer.Check()); // said: nothing more to ask of the writer
    }

    [Fact]
    public void An_edge_that_has_said_nothing_since_its_start_never_says_idle()
    {
        // A restarted edge (same id) with no connection yet: its previous life's clients are on their way back and
        // the root holds its output for them until its idle timeout; an idle frame now would end that hold at once.
        var jetStream = new FakePublisher();
        var frames = new FrameSequence(jetStream, "e1", PublishTimeout);
        var announcer = new EdgeAnnouncer(frames, () => (0, 0));

        Assert.False(announcer.Check());
        announcer.Flushed();

        Assert.Empty(jetStream.Stream);
        Assert.True(frames.Silent);
    }
}
