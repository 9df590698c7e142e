using System.Globalization;
using System.Text;
using Horodate.Core.Durability;
using Horodate.Core.Ordering;
using Horodate.Server.Sources.JetStream;
using Microsoft.Extensions.Logging.Abstractions;

namespace Horodate.Simulation.Tree;

/// <summary>
/// One schedule of the tree, drawn from a seed: edges (production's ingest core, <c>FrameSequence</c> and
/// <c>EdgeAnnouncer</c>) publishing to a JetStream stand-in, and the root (production's <see cref="FrameIntake"/> and
/// ingest core on a <see cref="SimFileSystem"/>, on production's <see cref="BalancerAllowance"/> clock), every step run
/// by one single-threaded scheduler; faults: edges killed and restarted under the same id or a new one with their
/// clock behind or ahead, publishes refused or in doubt, nats-server down (its in-flight deliveries lost, its store's
/// end lost with the power), the root killed and restarted from its ack floor, redeliveries, connections moving
/// between edges. Then the check: every value acknowledged to a client is in the root's file, in order, none in its
/// <c>.late</c> (dedupe: once per distinct value; keep-duplicates: no fewer copies than acknowledged).
/// </summary>
internal sealed partial class TreeSimulator
{
    private const string Output = "/root/out.txt";

    private readonly ulong _seed;
    private readonly SimRandom _random;
    private readonly SimClock _clock = new();
    private readonly SimFileSystem _files;
    private readonly SimJetStream _jetStream;
    private readonly IngestOptions _rootOptions;
    private readonly IngestOptions _edgeOptions;
    private readonly TimeProvider _rootClock;
    private readonly List<TreeClient> _clients = [];
    private readonly List<SimEdge> _edges = [];
    private readonly List<(string Id, long UpAtMs)> _downEdges = [];
    private readonly StringBuilder _trace = new();
    private readonly bool _tracing;
    private readonly int _edgeIds;
    private IngestCore? _root;
    private FrameIntake? _intake;
    private long _rootUpAtMs;
    private long _natsUpAtMs;
    private long _lastRootFlushMs, _lastAckMs;
    private int _lives;
    private bool _streamCutBack;

    public TreeSimulator(ulong seed, bool trace = false)
    {
        _seed = seed;
        _tracing = trace;
        _random = new SimRandom(seed);
        _files = new SimFileSystem(new SimRandom(seed ^ 0x5DEECE66DUL));
        _jetStream = new SimJetStream(new SimRandom(seed ^ 0x4A5E7UL), _clock);
        var ordering = new OrderingOptions { Dedupe = _random.Chance(700) }; // production's defaults: idle 1 s, max-delay 5 s, grace 7 s
        _rootOptions = new IngestOptions { Output = Output, Ordering = ordering, SyncIntervalMs = 25 };
        _edgeOptions = _rootOptions with { StallGapMs = IngestOptions.StallGapFor(ordering, flushIntervalMs: 10) };
        // The root's idle timeout defaults to its --max-delay (ServerCommand.Cluster: a killed edge's clients resend
        // through another edge within it).
        var rootOrdering = ordering with { IdleTimeoutMs = ordering.MaxDelayMs };
        _rootOptions = _rootOptions with { Ordering = rootOrdering, StallGapMs = IngestOptions.StallGapFor(rootOrdering, flushIntervalMs: 10) };
        _rootClock = new BalancerAllowance(_clock);
        if (_random.Chance(500))
        {
            _jetStream.FailPerMille = 20;
            _jetStream.DoubtPerMille = 20;
        }

        // One schedule in four: a duplicate window far shorter than JetStream's 2 minutes (0.1–5 s), so that frames in
        // doubt retried, and publishes still on their way, outlast it, as they do across an outage longer than the
        // window. Drawn apart from the schedule's other draws, which stay as they were for every seed.
        var window = new SimRandom(seed ^ 0xD0B1E5UL);
        if (window.Chance(250))
        {
            _jetStream.DuplicateWindowMs = 100 + window.Next(4_900);
        }

        _edgeIds = 2 + _random.Next(2);
        for (var i = 0; i < 2 + _random.Next(5); i++)
        {
            _clients.Add(new TreeClient(i));
        }
    }

    public bool Dedupe => _rootOptions.Ordering.Dedupe;

    public long Steps { get; private set; }

    public int EdgeKills { get; private set; }

    public int RootKills { get; private set; }

    public int NatsOutages { get; private set; }

    public string Trace => _trace.ToString();

    /// <summary>Runs the schedule; returns the first violation found, or null.</summary>
    public string? Run()
    {
        try
        {
            return RunSchedule();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return $"exception: {ex}";
        }
    }

    private string? RunSchedule()
    {
        for (var i = 1; i <= _edgeIds; i++)
        {
            StartEdge($"e{i}", skewMs: 0);
        }

        StartRoot();
        var horizon = 1_000 + _random.Next(3_000);
        if (_random.Chance(250))
        {
            // One schedule in four runs past the root's idle timeout (5 s): what a hold, or its end, does later shows.
            horizon += 8_000;
        }

        while (_clock.MonoMs < horizon)
        {
            Steps++;
            _clock.Advance(1 + _random.Next(4));
            Step(faults: true);
        }

        // The end: everything heals, clients send nothing new and half-close; everyone catches up; the root stops.
        Note("healing");
        _jetStream.FailPerMille = _jetStream.DoubtPerMille = 0;
        _natsUpAtMs = _rootUpAtMs = 0;
        foreach (var client in _clients)
        {
            client.Finished = true;
        }

        for (var i = 0; i < 2_000; i++)
        {
            Steps++;
            _clock.Advance(2);
            Step(faults: false);
        }

        if (_clients.Find(c => c.Unacked.Count > 0) is { } stuck)
        {
            return $"client {stuck.Id} still waits for {stuck.Unacked.Count} acknowledgements ({stuck.Unacked[0]}...) after the healing";
        }

        for (var attempt = 0; !_root!.Flush(final: true); attempt++)
        {
            if (attempt > 100)
            {
                return "the root's final flush never completed";
            }
        }

        _ = _root.FinishStop();
        return Check();
    }

    private void Step(bool faults)
    {
        var now = _clock.MonoMs;
        _jetStream.Down = now < _natsUpAtMs;
        foreach (var (id, upAt) in _downEdges.ToList())
        {
            if (now >= upAt)
            {
                _ = _downEdges.Remove((id, upAt));
                StartEdge(id, skewMs: _random.Next(3) switch { 0 => 0, 1 => -_random.Next(5_000), _ => _random.Next(5_000) });
            }
        }

        foreach (var landed in _jetStream.Arrive())
        {
            Note($"publish {landed} landed late");
        }

        Clients();
        foreach (var edge in _edges)
        {
            RunEdge(edge, now);
        }

        if (_root is null && now >= _rootUpAtMs)
        {
            StartRoot();
        }

        if (_root is not null)
        {
            RunRoot(now);
        }

        if (faults)
        {
            Faults(now);
        }
    }

    private void Note(string what)
    {
        if (_tracing)
        {
            _trace.Append(CultureInfo.InvariantCulture, $"[{_clock.MonoMs}] {what}\n");
        }
    }

    /// <summary>The seed's schedule, described (for a failure report).</summary>
    public override string ToString() =>
        $"tree seed {_seed}: {(Dedupe ? "dedupe" : "keep-duplicates")}, {_edgeIds} edges, {_clients.Count} clients, " +
        $"{EdgeKills} edge kills, {RootKills} root kills, {NatsOutages} nats-server outages, duplicate window {_jetStream.DuplicateWindowMs} ms, {_jetStream.Landed} frames, {Steps} steps";
}
