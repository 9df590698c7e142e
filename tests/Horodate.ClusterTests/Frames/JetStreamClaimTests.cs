using System.Text;
using Horodate.ClusterTests.Support;
using Horodate.FunctionalTests.Support;
using Horodate.Server.Sinks.JetStream;
using Horodate.Testing;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Horodate.ClusterTests.Frames;

/// <summary>
/// The expectation every frame of an edge is published with (<see cref="FrameSequence.Life"/>), against the real
/// nats-server: JetStream must refuse a frame whose expected last sequence on its subject is not the subject's last,
/// an expected 0 (no frame on the subject) included: that is what an edge's first-ever frame, and the claim of a life
/// whose subject's frames all aged out or were purged, are published with.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class JetStreamClaimTests
{
    [Fact]
    public async Task A_frame_expecting_an_empty_subject_is_refused_once_the_subject_holds_a_frame()
    {
        await using var tree = await Tree.StartNatsAsync();
        await using var connection = Connect(tree);
        var js = new NatsJSContext(connection);
        await Settings(tree).EnsureStreamAsync(js, CancellationToken.None).WaitAsync(Within.Short, TestContext.Current.CancellationToken);
        var publisher = new JetStreamFramePublisher(js);
        const string subject = NatsSettings.SubjectPrefix + "e1";

        // A life's first frame on an empty subject lands; a dead life's first frame, expecting the same emptiness, not.
        var first = await publisher.PublishAsync(subject, Payload("100\n"), "e1-1-1", Headers(1), expectedLast: 0).WaitAsync(Within.Short, TestContext.Current.CancellationToken);
        var late = publisher.PublishAsync(subject, Payload("99\n"), "e1-2-1", Headers(1), expectedLast: 0).WaitAsync(Within.Short, TestContext.Current.CancellationToken);
        await Assert.ThrowsAsync<FrameClaimLostException>(() => late);
        Assert.Equal(first, (await publisher.LastAsync(subject).WaitAsync(Within.Short, TestContext.Current.CancellationToken)).Sequence);

        // Every frame of the subject purged: the subject is empty again, an expected 0 lands, a stale expectation not.
        var stream = await js.GetStreamAsync(NatsSettings.StreamName, cancellationToken: TestContext.Current.CancellationToken).AsTask().WaitAsync(Within.Short, TestContext.Current.CancellationToken);
        await stream.PurgeAsync(new StreamPurgeRequest { Filter = subject }, TestContext.Current.CancellationToken).AsTask().WaitAsync(Within.Short, TestContext.Current.CancellationToken);
        var empty = await publisher.LastAsync(subject).WaitAsync(Within.Short, TestContext.Current.CancellationToken);
        Assert.Equal((0UL, first), (empty.Sequence, empty.StreamEnd)); // the stream's end, for the next life's number
        var stale = publisher.PublishAsync(subject, Payload("101\n"), "e1-1-2", Headers(2), expectedLast: first).WaitAsync(Within.Short, TestContext.Current.CancellationToken);
        await Assert.ThrowsAsync<FrameClaimLostException>(() => stale);
        var claim = await publisher.PublishAsync(subject, Payload("102\n"), "e1-3-1", Headers(1), expectedLast: 0).WaitAsync(Within.Short, TestContext.Current.CancellationToken);
        Assert.True(claim > first);
        var again = publisher.PublishAsync(subject, Payload("98\n"), "e1-4-1", Headers(1), expectedLast: 0).WaitAsync(Within.Short, TestContext.Current.CancellationToken);
        await Assert.ThrowsAsync<FrameClaimLostException>(() => again);
    }

    private static NatsSettings Settings(Tree tree) => new() { Url = tree.NatsUrl, User = TreeSetup.NatsUser, Password = TreeSetup.NatsPassword };

    private static NatsConnection Connect(Tree tree) => Settings(tree).Connect("claim-test");

    private static byte[] Payload(string lines) => Encoding.ASCII.GetBytes(lines);

    private static NatsHeaders Headers(long number) => Frame.Headers("e1", Frame.Ordered, 1, 1, number);
}
