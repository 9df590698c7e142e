using Horodate.Core.Durability;
using Horodate.Server.Sinks.JetStream;

namespace Horodate.Simulation.Tree;

/// <summary>
/// One life of an edge, as production runs it: an <see cref="IngestCore"/> whose output is frames
/// (<see cref="FrameFileSystem"/> over a <see cref="FrameSequence"/> publishing to the <see cref="SimJetStream"/>), and
/// its <see cref="EdgeAnnouncer"/>; the scheduler runs the writer's flush step, the sync step and the 10 ms check.
/// The incarnation is read from the edge's own clock, which may be behind or ahead of its previous life's.
/// </summary>
internal sealed class SimEdge
{
    private const string Output = "/edge/out.txt";

    public SimEdge(string id, SimJetStream jetStream, SimClock clock, long clockSkewMs, int salt, IngestOptions options)
    {
        Id = id;
        var start = DateTimeOffset.FromUnixTimeMilliseconds(clock.WallMs + clockSkewMs); // the edge host's clock
        Frames = new FrameSequence(jetStream, id, TimeSpan.Zero, FrameSequence.IncarnationAt(start, salt));
        Core = IngestCore.Open(options with { Output = Output }, new FrameFileSystem(Frames, Output), clock, NullEvents.Instance);
        Greeting = new EdgeGreeting(Frames);
        Announcer = new EdgeAnnouncer(Frames, () =>
        {
            var status = Core.Snapshot();
            return (status.OpenSources, status.BufferedValues);
        }, Greeting);
    }

    public string Id { get; }

    public FrameSequence Frames { get; }

    public IngestCore Core { get; }

    public EdgeAnnouncer Announcer { get; }

    /// <summary>The acknowledged clients' <c>OK</c>, once the root holds for this edge.</summary>
    public EdgeGreeting Greeting { get; }

    /// <summary>The check asked the writer for a step (to say idle).</summary>
    public bool WakeWriter { get; set; }

    public long LastFlushMs { get; set; }

    public long LastCheckMs { get; set; }

    /// <summary>The writer's step: a flush, then, if it wrote everything it took, the idle announcement's turn.</summary>
    public void Flush()
    {
        if (Core.Flush(final: false))
        {
            Announcer.Flushed();
        }

        WakeWriter = false;
    }
}
