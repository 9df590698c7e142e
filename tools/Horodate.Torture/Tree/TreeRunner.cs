using System.Diagnostics;
using System.Globalization;

namespace Horodate.Torture.Tree;

/// <summary>
/// Runs one tree schedule over real processes on 127.0.0.1: nats-server (JetStream, authentication, its own store),
/// the edges, the root, HAProxy when drawn, two acknowledged clients; the faults at their instants (one after another,
/// but for the overlapping pauses);
/// then stops everything gracefully (edges first, the root once it holds everything published) and judges the root's
/// file with <c>horodate-checker</c>: every value acknowledged to a client in the main file exactly once, in order
/// (none in <c>.late</c>). Every process it starts is killed on dispose, whatever happened.
/// </summary>
internal sealed partial class TreeRunner : ScheduleRun
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the root may take, once the edges have stopped, to hold everything they published: an edge killed late
    /// in the run holds it up to its idle timeout (<see cref="TreeSchedule.RootMaxDelay"/>), plus room for a loaded machine.
    /// </summary>
    private static readonly TimeSpan CatchUpTimeout = TreeSchedule.RootMaxDelay + TimeSpan.FromSeconds(30);

    private readonly TreeSchedule _schedule;
    private readonly Random _rng;
    private readonly List<ClientRun> _clients = [];
    private readonly HashSet<int> _ports = [];
    private readonly Lock _gate = new();
    private readonly EdgeRun[] _edges;
    private ChildProcess? _nats;
    private ChildProcess? _root;
    private ChildProcess? _haproxy;
    private JetStreamMonitor? _monitor;
    private string? _balancer;
    private int _natsPort;

    private TreeRunner(TreeSchedule schedule, HarnessOptions options)
        : base(schedule, options, Path.Combine(options.WorkDir, string.Create(CultureInfo.InvariantCulture, $"tree-seed-{schedule.Seed}")))
    {
        _schedule = schedule;
        _rng = new Random(unchecked(TreeSchedule.Mix(schedule.Seed) * 31));
        _edges = new EdgeRun[schedule.Edges];
    }

    private string NatsUrl => string.Create(CultureInfo.InvariantCulture, $"nats://127.0.0.1:{_natsPort}");

    private string RootOutput => Path.Combine(Dir, "root.txt");

    public static async Task<ScheduleResult> RunAsync(TreeSchedule schedule, HarnessOptions options, CancellationToken stop)
    {
        await using var runner = new TreeRunner(schedule, options);
        return await runner.RunToVerdictAsync(stop).ConfigureAwait(false);
    }

    protected override ValueTask StopEverythingAsync()
    {
        // Everything still running is killed (SIGKILL reaches a frozen process too), clients first, nats-server last.
        foreach (var run in _clients)
        {
            run.Process.Dispose();
        }

        _haproxy?.Dispose();
        foreach (var edge in _edges)
        {
            edge?.Process?.Dispose();
        }

        _root?.Dispose();
        _nats?.Dispose();
        _monitor?.Dispose();
        return ValueTask.CompletedTask;
    }

    protected override async Task RunAsync(CancellationToken stop)
    {
        if (Directory.Exists(Dir))
        {
            Directory.Delete(Dir, recursive: true);
        }

        Directory.CreateDirectory(Dir);
        if (!await StartTreeAsync(stop).ConfigureAwait(false))
        {
            return;
        }

        StartClock();
        for (var slot = 0; slot < _schedule.Clients.Count; slot++)
        {
            StartClient(slot);
        }

        // One fault after another: a restart that takes longer than drawn delays the next fault, never overlaps it;
        // the overlapping pauses meanwhile, each at its instant.
        var overlapping = _schedule.Faults.Where(f => f.Overlapping).Select(f => InjectAtAsync(f, stop)).ToList();
        foreach (var fault in _schedule.Faults.Where(f => !f.Overlapping))
        {
            var wait = fault.At - Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, stop).ConfigureAwait(false);
            }

            if (await InjectAsync(fault, stop).ConfigureAwait(false))
            {
                CountFault();
            }
            else if (_nats is null || _root is null || _edges.Any(e => e.Process is null))
            {
                break; // a part did not come back (a violation): the rest of the schedule would judge nothing
            }
        }

        await Task.WhenAll(overlapping).ConfigureAwait(false);
        await WaitForClientsAsync().ConfigureAwait(false);
        await StopTreeAsync(stop).ConfigureAwait(false);
        await CheckAsync(stop).ConfigureAwait(false);
    }

    private async Task InjectAtAsync(TreeFault fault, CancellationToken stop)
    {
        var wait = fault.At - Elapsed;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, stop).ConfigureAwait(false);
        }

        if (await InjectAsync(fault, stop).ConfigureAwait(false))
        {
            CountFault();
        }
    }

    /// <summary>The clients end by themselves: their duration, then at most their --ack-wait for the last acknowledgements.</summary>
    private async Task WaitForClientsAsync()
    {
        var deadline = _schedule.Duration + TimeSpan.FromSeconds(60) - Elapsed;
        foreach (var run in _clients)
        {
            if (!await run.Process.WaitForExitAsync(deadline > TimeSpan.Zero ? deadline : TimeSpan.FromSeconds(1)).ConfigureAwait(false))
            {
                Violation($"client {run.Slot} did not finish within its duration + 60 s (killed; its records are lost)");
                run.Process.KillHard();
                await run.Process.WaitForExitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
            else if (run.Process.ExitCode != 0)
            {
                Violation($"client {run.Slot} exited with code {run.Process.ExitCode} (it sent nothing: see client-{run.Slot}.log)");
            }
        }
    }

    private async Task CheckAsync(CancellationToken stop)
    {
        List<string> args = ["--output", RootOutput, "--origin", T0Ms.ToString(CultureInfo.InvariantCulture)];
        foreach (var run in _clients.Where(r => File.Exists(r.SentPath)))
        {
            args.AddRange(["--sent", run.SentPath, "--acked", run.AckedPath]);
        }

        var found = await CheckerRun.RunAsync(Options.Checker, args, Dir, stop).ConfigureAwait(false);
        lock (_gate)
        {
            Violations.AddRange(found);
        }

        // The root's frame checks: a frame dropped (unreadable) or behind a newer one of its edge is never expected.
        var root = Path.Combine(Dir, "root.log");
        foreach (var line in File.Exists(root) ? File.ReadLines(root) : [])
        {
            if (line.Contains("[1303]", StringComparison.Ordinal) || line.Contains("[1307]", StringComparison.Ordinal))
            {
                Violation($"root: {line.Trim()}");
            }
        }
    }

    private void Violation(string text)
    {
        lock (_gate)
        {
            Violations.Add(text);
        }
    }

    /// <summary>A port for one of the tree's processes, distinct from the others' (they are bound only when each starts).</summary>
    private int Port()
    {
        while (true)
        {
            var port = Ports.Free(_rng);
            if (_ports.Add(port))
            {
                return port;
            }
        }
    }

    /// <summary>An edge slot: its fixed port (a restart comes back on it: HAProxy's and the clients' lists name it), its current process and id.</summary>
    private sealed class EdgeRun(int slot, int port)
    {
        public int Slot { get; } = slot;

        public int Port { get; } = port;

        public string Endpoint => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");

        public ChildProcess? Process { get; set; }

        public string Id { get; set; } = "";

        /// <summary>How many times it was started: a restart under a new id names it e{slot}-{starts}.</summary>
        public int Starts { get; set; }
    }

    /// <summary>One client process and its records.</summary>
    private sealed class ClientRun(int slot, ChildProcess process, string sentPath, string ackedPath)
    {
        public int Slot { get; } = slot;

        public ChildProcess Process { get; } = process;

        public string SentPath { get; } = sentPath;

        public string AckedPath { get; } = ackedPath;
    }
}
