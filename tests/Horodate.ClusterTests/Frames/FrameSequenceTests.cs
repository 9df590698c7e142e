using System.Text;
using Horodate.Server.Sinks.JetStream;
using Horodate.Server.Sources.JetStream;

namespace Horodate.ClusterTests.Frames;

/// <summary>
/// An edge's one sequence of frames (<see cref="FrameSequence"/>, <see cref="FrameFileSystem"/>) against a JetStream
/// stand-in: frames land in the order of their numbers, a frame in doubt goes again before anything newer, and no
/// announcement passes a frame of values in doubt.
/// </summary>
public sealed class FrameSequenceTests
{
    /// <summary>Long enough for a PubAck that does come, short for one that never does.</summary>
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMilliseconds(200);

    [Fact]
    public void An_idle_frame_never_passes_a_frame_of_values_still_in_doubt()
    {
        var jetStream = new FakePublisher { Down = true, LandWhileDown = false };
        var frames = new FrameSequence(jetStream, "e1", PublishTimeout);
        var files = new FrameFileSystem(frames, "out.txt");
        using var output = files.Open("out.txt");

        // nats-server is down: the writer's frame fails (in doubt); the edge's last connection has gone meanwhile.
        Assert.Throws<IOException>(() => output.Write(0, Encoding.ASCII.GetBytes("100\n101\n")));
        jetStream.Down = false;
        Assert.False(frames.TryAnnounce(Frame.Idle, wait: true));
        Assert.Empty(jetStream.Stream);

        // The writer's retry republishes its frame; only then may the edge say it is idle.
        output.SetLength(0);
        output.Write(0, Encoding.ASCII.GetBytes("100\n101\n"));
        Assert.True(frames.TryAnnounce(Frame.Idle, wait: true));
        Assert.Equal([(Frame.Ordered, 1L, "100\n101\n"), (Frame.Idle, 2L, "")], jetStream.Stream);
    }

    [Fact]
    public void A_frame_in_doubt_is_republished_with_its_number_before_anything_newer_and_counts_for_its_own_file()
    {
        // Its PubAck lost: the late frame may have landed; the next write (of the ordered file) sends it again first.
        var jetStream = new FakePublisher { Down = true, LandWhileDown = true };
        var frames = new FrameSequence(jetStream, "e1", PublishTimeout);
        var files = new FrameFileSystem(frames, "out.txt");
        using var output = files.Open("out.txt");
        using var late = files.Open("out.txt.late");
        Assert.Throws<IOException>(() => late.Write(0, Encoding.ASCII.GetBytes("7\n")));
        jetStream.Down = false;

        output.Write(0, Encoding.ASCII.GetBytes("100\n"));
        late.SetLength(0);
        late.Write(0, Encoding.ASCII.GetBytes("7\n8\n")); // the batch writer's retry, with a newer late value behind

        Assert.Equal([(Frame.Late, 1L, "7\n"), (Frame.Ordered, 2L, "100\n"), (Frame.Late, 3L, "8\n")], jetStream.Stream);
        Assert.Equal(3, frames.Published);
    }

    [Fact]
    public void An_idle_frame_in_doubt_goes_again_before_the_active_frame_that_follows_it()
    {
        var jetStream = new FakePublisher { Down = true, LandWhileDown = true };
        var frames = new FrameSequence(jetStream, "e1", PublishTimeout);
        Assert.False(frames.TryAnnounce(Frame.Idle, wait: true));
        jetStream.Down = false;

        Assert.True(frames.TryAnnounce(Frame.Active, wait: true));

        Assert.Equal([(Frame.Idle, 1L, ""), (Frame.Active, 2L, "")], jetStream.Stream);
        Assert.Equal(Frame.Active, frames.Said);
    }

    [Fact]
    public void An_active_edge_whose_idle_frame_is_in_doubt_says_active_again_after_it()
    {
        // The idle frame may have landed (the root then stopped waiting for this edge): when a connection opens, the
        // edge must say active again, after that idle frame, although the last thing it knew it had said was active.
        var jetStream = new FakePublisher();
        var frames = new FrameSequence(jetStream, "e1", PublishTimeout);
        Assert.True(frames.TryAnnounce(Frame.Active, wait: true));
        jetStream.Down = true;
        jetStream.LandWhileDown = true;
        Assert.False(frames.TryAnnounce(Frame.Idle, wait: true));
        jetStream.Down = false;

        Assert.True(frames.TryAnnounce(Frame.Active, wait: false));

        Assert.Equal([(Frame.Active, 1L), (Frame.Idle, 2L), (Frame.Active, 3L)], jetStream.Stream.Select(f => (f.Kind, f.Number)));
    }

    [Fact]
    public async Task Frames_published_from_the_writer_and_the_check_at_once_go_one_at_a_time_in_the_order_of_their_numbers()
    {
        var jetStream = new FakePublisher();
        var frames = new FrameSequence(jetStream, "e1", TimeSpan.FromSeconds(10));
        var files = new FrameFileSystem(frames, "out.txt");
        using var output = files.Open("out.txt");
        var cancel = TestContext.Current.CancellationToken;
        var writer = Task.Run(() =>
        {
            for (var i = 0; i < 200; i++)
            {
                output.Write(output.Length, Encoding.ASCII.GetBytes($"{1000 + i}\n"));
            }
        }, cancel);
        var announcer = Task.Run(() =>
        {
            for (var i = 0; i < 200; i++)
            {
                _ = frames.TryAnnounce(i % 2 == 0 ? Frame.Idle : Frame.Active, wait: i % 3 == 0);
            }
        }, cancel);
        await Task.WhenAll(writer, announcer).WaitAsync(TimeSpan.FromSeconds(30), cancel);

        var numbers = jetStream.Stream.Select(f => f.Number).ToList();
        Assert.Equal(Enumerable.Range(1, numbers.Count).Select(n => (long)n), numbers);
        Assert.Equal(200, jetStream.Stream.Count(f => f.Kind == Frame.Ordered));
        Assert.Equal(1, jetStream.MostInFlight);
    }

    [Fact]
    public async Task Frames_whose_PubAcks_complete_on_other_threads_still_land_one_at_a_time_in_the_order_of_their_numbers()
    {
        var jetStream = new FakePublisher { Asynchronous = true };
        var frames = new FrameSequence(jetStream, "e1", TimeSpan.FromSeconds(10));
        var files = new FrameFileSystem(frames, "out.txt");
        using var output = files.Open("out.txt");
        var cancel = TestContext.Current.CancellationToken;
        var writer = Task.Run(() =>
        {
            for (var i = 0; i < 100; i++)
            {
                output.Write(output.Length, Encoding.ASCII.GetBytes($"{1000 + i}\n"));
            }
        }, cancel);
        var announcer = Task.Run(() =>
        {
            for (var i = 0; i < 100; i++)
            {
                _ = frames.TryAnnounce(i % 2 == 0 ? Frame.Idle : Frame.Active, wait: true);
            }
        }, cancel);
        await Task.WhenAll(writer, announcer).WaitAsync(TimeSpan.FromSeconds(30), cancel);

        var numbers = jetStream.Stream.Select(f => f.Number).ToList();
        Assert.Equal(Enumerable.Range(1, numbers.Count).Select(n => (long)n), numbers);
        Assert.Equal(numbers.Count, frames.Published);
        Assert.Equal(1, jetStream.MostInFlight);
    }

    [Fact]
    public void A_PubAck_that_arrives_after_its_frame_was_republished_and_acknowledged_changes_nothing()
    {
        // Frame 1 lands but its PubAck is late (beyond the publish timeout): in doubt, the write fails. The retry
        // republishes it (dropped by its id) and gets its PubAck at once; the first PubAck arrives only then.
        var jetStream = new FakePublisher { HoldAcks = true };
        var frames = new FrameSequence(jetStream, "e1", PublishTimeout);
        var files = new FrameFileSystem(frames, "out.txt");
        using var output = files.Open("out.txt");
        Assert.Throws<IOException>(() => output.Write(0, Encoding.ASCII.GetBytes("100\n")));
        jetStream.HoldAcks = false;
        output.SetLength(0);
        output.Write(0, Encoding.ASCII.GetBytes("100\n101\n"));
        Assert.Equal(1, jetStream.ReleaseHeldAcks());
        output.Write(output.Length, Encoding.ASCII.GetBytes("102\n"));

        Assert.Equal([(Frame.Ordered, 1L, "100\n"), (Frame.Ordered, 2L, "101\n"), (Frame.Ordered, 3L, "102\n")], jetStream.Stream);
        Assert.Equal(3, frames.Published);
    }

    [Fact]
    public void Lives_of_an_edge_started_within_the_same_millisecond_have_different_incarnations()
    {
        // Their clocks read the same millisecond (ten starts in a row, or a clock set back by the time between two):
        // with the start time alone, the later life's frames had the earlier's ids, and JetStream's duplicate window
        // dropped them while acknowledging them.
        var lives = Enumerable.Range(0, 10).Select(_ => new FrameSequence(new FakePublisher(), "e1", PublishTimeout).Incarnation).ToList();

        Assert.Equal(lives.Count, lives.Distinct().Count());
        Assert.All(lives, l => Assert.InRange(l / FrameSequence.SaltRange, DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
    }

    [Fact]
    public async Task A_life_claims_the_number_after_its_subjects_last_and_a_killed_lifes_frame_landing_meanwhile_makes_it_claim_again()
    {
        var jetStream = new FakePublisher();
        var previous = new FrameSequence(jetStream, "e1", PublishTimeout, incarnation: 9_000);
        Assert.True(previous.TryAnnounce(Frame.Active, wait: true));
        Assert.Equal(1, previous.Life);

        // The next life (its clock set back) reads the subject's end, but a frame of another life lands before its claim.
        var gate = new SemaphoreSlim(0);
        var next = new FrameSequence(jetStream, "e1", PublishTimeout, incarnation: 3_000);
        jetStream.Gate = gate;
        var claim = Task.Run(() => next.TryAnnounce(Frame.Active, wait: true), TestContext.Current.CancellationToken);
        Assert.True(SpinWait.SpinUntil(() => jetStream.InFlight == 1, TimeSpan.FromSeconds(5)));
        jetStream.LandOther("e1-8000-1", life: 2, incarnation: 8_000);
        gate.Release();
        Assert.False(await claim.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken)); // refused: in doubt, claimed again with the stream's new end
        jetStream.Gate = null;
        Assert.True(next.TryAnnounce(Frame.Active, wait: true));
        Assert.Equal(3, next.Life);
        Assert.Equal([1L, 2L, 3L], jetStream.Lives);
    }

    [Fact]
    public void A_life_claimed_on_a_subject_whose_frames_all_aged_out_is_newer_for_a_root_that_saw_the_earlier_lives()
    {
        // Two lives of the edge, seen by the root (which stays up); then the edge is down longer than the stream's
        // max_age, and every frame of its subject ages out. The next life has no last frame to number itself after.
        var jetStream = new FakePublisher();
        var root = new FrameOrder();
        long[] incarnations = [9_000, 9_100, 9_200];
        foreach (var incarnation in incarnations[..2])
        {
            var life = new FrameSequence(jetStream, "e1", PublishTimeout, incarnation);
            Assert.True(life.TryAnnounce(Frame.Active, wait: true));
            Assert.NotEqual(FrameVerdict.Behind, root.Check("e1", life.Life, incarnation, 1));
        }

        jetStream.Purge();
        var next = new FrameSequence(jetStream, "e1", PublishTimeout, incarnations[2]);
        Assert.True(next.TryAnnounce(Frame.Active, wait: true));

        // Taken as behind, its values would all go to the root's .late file, its announcements ignored.
        Assert.Equal(FrameVerdict.NewLife, root.Check("e1", next.Life, incarnations[2], 1));
        Assert.True(next.Life > jetStream.Lives[1]);
    }

    [Fact]
    public void A_life_after_which_another_process_claimed_a_life_of_its_edge_publishes_nothing_more()
    {
        // A second edge started with the same --edge-id while the first runs (or a first one thought dead, paused, then
        // resumed after its replacement started): its claim lands after the first's frames.
        var jetStream = new FakePublisher();
        var first = new FrameSequence(jetStream, "e1", PublishTimeout, incarnation: 9_000);
        var files = new FrameFileSystem(first, "out.txt");
        using var output = files.Open("out.txt");
        output.Write(0, Encoding.ASCII.GetBytes("100\n"));
        var second = new FrameSequence(jetStream, "e1", PublishTimeout, incarnation: 9_100);
        Assert.True(second.TryAnnounce(Frame.Active, wait: true));

        // The first's next frame, refused (wrong last sequence), must not land on a retry under its smaller life: the
        // root would take it as behind, its values as late, though its PubAck acknowledged them to their client.
        Assert.ThrowsAny<IOException>(() => output.Write(4, Encoding.ASCII.GetBytes("101\n")));
        output.SetLength(4);
        Assert.Throws<EdgeSupersededException>(() => output.Write(4, Encoding.ASCII.GetBytes("101\n")));
        Assert.False(first.TryAnnounce(Frame.Idle, wait: true));
        Assert.True(first.Superseded);
        Assert.Equal([1L, 2L], jetStream.Lives);
    }
}
