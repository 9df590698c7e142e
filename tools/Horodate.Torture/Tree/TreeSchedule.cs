using System.Globalization;
using System.Text;

namespace Horodate.Torture.Tree;

/// <summary>The faults a tree schedule can inject, one at a time, each ending with every part up again.</summary>
internal enum TreeFaultKind
{
    /// <summary>An edge gets SIGKILL and is restarted on its port after the outage, under a new <c>--edge-id</c>.</summary>
    EdgeKill,

    /// <summary>
    /// The same, restarted under the SAME <c>--edge-id</c>: the class a review found defective (README, "Known open
    /// defects"); drawn only with <see cref="TreeMode.SameIdRestarts"/>, otherwise the edge comes back under a new id.
    /// </summary>
    EdgeKillSameId,

    /// <summary>The root gets SIGKILL and is restarted on its file after the outage.</summary>
    RootKill,

    /// <summary>nats-server gets SIGKILL and is restarted on its store and port after the outage.</summary>
    NatsKill,

    /// <summary>An edge is frozen (SIGSTOP) for the length of the fault, then resumed (SIGCONT).</summary>
    EdgePause,

    /// <summary>The root is frozen for the length of the fault.</summary>
    RootPause,

    /// <summary>nats-server is frozen for the length of the fault.</summary>
    NatsPause,

    /// <summary>A client process is frozen for the length of the fault (overlapping only): its resends wait for it.</summary>
    ClientPause,
}

/// <summary>
/// One fault of a tree schedule: when (from the clients' start), how long (outage or pause), which edge (or client); an
/// <paramref name="Overlapping"/> one (a pause) runs whatever the others do, the others one after another.
/// </summary>
internal sealed record TreeFault(TreeFaultKind Kind, TimeSpan At, TimeSpan Length, int Target = 0, bool Overlapping = false)
{
    public override string ToString()
    {
        var at = Fault.Seconds(At);
        var length = Fault.Seconds(Length);
        return Kind switch
        {
            TreeFaultKind.EdgeKill => $"kill -9 edge {Target} at {at}, back under a new id after {length}",
            TreeFaultKind.EdgeKillSameId => $"kill -9 edge {Target} at {at}, back under the SAME id after {length}",
            TreeFaultKind.RootKill => $"kill -9 root at {at}, back on its file after {length}",
            TreeFaultKind.NatsKill => $"kill -9 nats-server at {at}, back on its store after {length}",
            TreeFaultKind.EdgePause => $"SIGSTOP edge {Target} at {at} for {length}{(Overlapping ? " (overlapping)" : "")}",
            TreeFaultKind.RootPause => $"SIGSTOP root at {at} for {length}{(Overlapping ? " (overlapping)" : "")}",
            TreeFaultKind.NatsPause => $"SIGSTOP nats-server at {at} for {length}",
            TreeFaultKind.ClientPause => $"SIGSTOP client {Target} at {at} for {length} (overlapping)",
            _ => Kind.ToString(),
        };
    }
}

/// <summary>The tree mode's switches: which classes of schedule it may draw.</summary>
/// <param name="SameIdRestarts">
/// Whether a killed edge may come back under the same <c>--edge-id</c> (half of the edge kills). Off by default: the
/// README lists that restart among the tree's known open defects (its clients' resends can land in the root's
/// <c>.late</c>); switch it on (<c>--same-id-restarts</c>) to look for that defect, or once it is fixed.
/// </param>
internal sealed record TreeMode(bool SameIdRestarts = false);

/// <summary>
/// A tree schedule drawn from a seed: nats-server (JetStream, authentication), 2–3 edges, a root, two acknowledged
/// client processes reaching the edges through HAProxy or spreading their own connections over them (<c>--server</c>
/// per edge), 1–3 faults one after another and 0–2 pauses overlapping them. The same seed and <see cref="TreeMode"/> draw the same schedule;
/// without <see cref="TreeMode.SameIdRestarts"/> the same seed draws the same faults, its same-id restarts made new-id ones.
/// </summary>
internal sealed record TreeSchedule(long Seed, int Edges, bool Balancer, TimeSpan Duration, IReadOnlyList<int> Clients, IReadOnlyList<TreeFault> Faults, bool SameIdRestarts) : IFaultSchedule
{
    /// <summary>
    /// The root's --max-delay, and so its --idle-timeout (which defaults to it): 30 s, as the README's tree tests run it.
    /// A killed edge's clients resend through another edge only after their reconnect (backoff up to 5 s), and values
    /// stamped during a nats-server outage reach the root after the restart plus NATS.Net's reconnect (2 s) plus the
    /// edge's publish timeout (5 s): with the default (5 s) both land in the root's .late, as the README states.
    /// </summary>
    public static readonly TimeSpan RootMaxDelay = TimeSpan.FromSeconds(30);

    /// <summary>Longest outage drawn for an edge or the root (killed, then restarted).</summary>
    public static readonly TimeSpan MaxOutage = TimeSpan.FromSeconds(5);

    /// <summary>Longest nats-server outage: with its restart, reconnects and the edge's 5 s publish timeout, within <see cref="RootMaxDelay"/>.</summary>
    public static readonly TimeSpan MaxNatsOutage = TimeSpan.FromSeconds(3);

    /// <summary>Longest pause (SIGSTOP): an edge frozen longer than the root's idle timeout would be taken for dead.</summary>
    public static readonly TimeSpan MaxPause = TimeSpan.FromSeconds(5);

    /// <summary>
    /// What a schedule costs beyond its duration, at most: the tree's start (~2 s), the clients' last acknowledgements,
    /// the root holding its output for a killed edge for its idle timeout (<see cref="RootMaxDelay"/>) after the kill,
    /// which comes at the latest <see cref="Settle"/> + <see cref="RestartAllowance"/> (11 s) before the clients' end,
    /// so up to 19 s past it; the stops and the check. Measured: 3–4 s without an edge kill, 20 s with one.
    /// </summary>
    public static readonly TimeSpan Overhead = TimeSpan.FromSeconds(25);

    /// <summary>Room after the last fault: the clients reconnect (backoff up to 5 s) and resend before they stop.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(8);

    /// <summary>Time to count for a restart (a process start, a bind, the NATS connection) in laying out the faults.</summary>
    private static readonly TimeSpan RestartAllowance = TimeSpan.FromSeconds(3);

    public int Connections => Clients.Sum();

    public TimeSpan ExpectedLength => Duration + Overhead;

    public Task<ScheduleResult> RunAsync(HarnessOptions options, CancellationToken stop) => TreeRunner.RunAsync(this, options, stop);

    public static TreeSchedule Draw(long seed, TreeMode mode)
    {
        var rng = new Random(Mix(seed));
        var edges = 2 + rng.Next(2);
        var balancer = rng.Next(2) == 0;
        var duration = TimeSpan.FromSeconds(18 + rng.Next(8));
        int[] clients = [15 + rng.Next(36), 15 + rng.Next(36)];

        var faults = new List<TreeFault>();
        // The first fault at 2–5 s, when every connection is up: with 18 s at least, some room is always left for it.
        var t = TimeSpan.FromSeconds(2);
        var count = 1 + rng.Next(3);
        for (var i = 0; i < count; i++)
        {
            var roll = rng.Next(10);
            var sameId = rng.Next(2) == 0; // drawn whatever the mode, so that the mode changes nothing else
            var kind = roll switch
            {
                < 3 => sameId && mode.SameIdRestarts ? TreeFaultKind.EdgeKillSameId : TreeFaultKind.EdgeKill,
                < 5 => TreeFaultKind.RootKill,
                < 7 => TreeFaultKind.NatsKill,
                < 8 => TreeFaultKind.EdgePause,
                < 9 => TreeFaultKind.RootPause,
                _ => TreeFaultKind.NatsPause,
            };
            var longest = kind switch
            {
                TreeFaultKind.NatsKill => MaxNatsOutage,
                TreeFaultKind.EdgePause or TreeFaultKind.RootPause or TreeFaultKind.NatsPause => MaxPause,
                _ => MaxOutage,
            };
            var length = TimeSpan.FromMilliseconds(rng.Next((int)longest.TotalMilliseconds + 1));
            var at = t + TimeSpan.FromMilliseconds(rng.Next(3000));
            var edge = rng.Next(edges);

            // Cut to what is left before the settling time; none left: no more faults.
            var room = duration - Settle - RestartAllowance - at;
            if (room < TimeSpan.Zero)
            {
                break;
            }

            length = length < room ? length : room;

            faults.Add(new TreeFault(kind, at, length, edge));
            t = at + length + RestartAllowance;
        }

        // Then 0–2 pauses of an edge, the root or a client at any instant, which may overlap the faults above (a part
        // slow while another dies: a client frozen while its edge is killed resends only after the edge's restart).
        // nats-server is paused only in turn above: a part (re)started while it is frozen may fail to connect and exit.
        var overlapping = rng.Next(3);
        for (var i = 0; i < overlapping; i++)
        {
            var at = TimeSpan.FromMilliseconds(2000 + rng.Next((int)(duration - Settle - MaxPause).TotalMilliseconds - 2000));
            var length = TimeSpan.FromMilliseconds(rng.Next((int)MaxPause.TotalMilliseconds + 1));
            var target = rng.Next(edges + 1 + clients.Length); // the edges, the root, the clients
            faults.Add(target < edges ? new TreeFault(TreeFaultKind.EdgePause, at, length, target, Overlapping: true)
                : target == edges ? new TreeFault(TreeFaultKind.RootPause, at, length, Overlapping: true)
                : new TreeFault(TreeFaultKind.ClientPause, at, length, target - edges - 1, Overlapping: true));
        }

        faults.Sort((a, b) => a.At.CompareTo(b.At));
        return new TreeSchedule(seed, edges, balancer, duration, clients, faults, mode.SameIdRestarts);
    }

    /// <summary>
    /// The seed as <see cref="Random"/>'s: consecutive seeds (a run's) seeded as they are draw nearly the same first
    /// numbers (the first 8 of a run drew no edge kill), so they go through SplitMix64's finaliser first; the constant
    /// gives the tree its own stream, unlike the single server's schedule of the same seed.
    /// </summary>
    internal static int Mix(long seed)
    {
        var z = unchecked((ulong)seed + 0x9E3779B97F4A7C15UL + 0x7EE);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return unchecked((int)(z ^ (z >> 31)));
    }

    /// <summary>The command that runs this schedule again.</summary>
    public string Replay => string.Create(CultureInfo.InvariantCulture, $"scripts/torture.sh --tree{(SameIdRestarts ? " --same-id-restarts" : "")} --seed {Seed}");

    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"tree: {Edges} edges, {(Balancer ? "HAProxy" : "clients spread with --server")}, {Fault.Seconds(Duration)}, {Connections} acked connections ({Clients[0]} + {Clients[1]}); ");
        text.AppendJoin("; ", Faults);
        return text.ToString();
    }
}
