using System.Globalization;
using System.Text;

namespace Horodate.Torture;

/// <summary>The faults a schedule can inject.</summary>
internal enum FaultKind
{
    /// <summary>The server gets SIGTERM (graceful stop), stays down for the outage, and is restarted on the same file and port.</summary>
    ServerTerm,

    /// <summary>The server gets SIGKILL, stays down for the outage, and is restarted on the same file and port.</summary>
    ServerKill,

    /// <summary>The output's tmpfs is filled for the length of the fault, then given room again.</summary>
    DiskFull,

    /// <summary>A client process gets SIGTERM (it writes its records) and a new one takes its place after the length of the fault.</summary>
    ClientTerm,

    /// <summary>A client process gets SIGKILL (its records are lost with it) and a new one takes its place after the length of the fault.</summary>
    ClientKill,

    /// <summary>A raw peer sends whole values a byte at a time, for the length of the fault.</summary>
    SlowPeer,

    /// <summary>A raw peer sends a value and half of another, then nothing for the length of the fault, then resets.</summary>
    HalfOpenPeer,

    /// <summary>A raw peer sends a burst of garbage (no line of it is a value), then closes.</summary>
    Garbage,
}

/// <summary>One fault: when (from the clients' start), how long, and whom it hits.</summary>
internal sealed record Fault(FaultKind Kind, TimeSpan At, TimeSpan Length, int Target = 0)
{
    public bool HitsServer => Kind is FaultKind.ServerTerm or FaultKind.ServerKill;

    public override string ToString()
    {
        var at = Seconds(At);
        return Kind switch
        {
            FaultKind.ServerTerm => $"SIGTERM server at {at} (outage {Seconds(Length)})",
            FaultKind.ServerKill => $"kill -9 server at {at} (outage {Seconds(Length)})",
            FaultKind.DiskFull => $"disk full at {at} for {Seconds(Length)}",
            FaultKind.ClientTerm => $"SIGTERM client {Target} at {at} (back after {Seconds(Length)})",
            FaultKind.ClientKill => $"kill -9 client {Target} at {at} (back after {Seconds(Length)})",
            FaultKind.SlowPeer => $"slow peer at {at} for {Seconds(Length)}",
            FaultKind.HalfOpenPeer => $"half-open peer at {at} for {Seconds(Length)}",
            FaultKind.Garbage => $"garbage burst of {Target} bytes at {at}",
            _ => Kind.ToString(),
        };
    }

    internal static string Seconds(TimeSpan span) => string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.0}s");
}

/// <summary>One client process: its connections, and whether it asks for acknowledgements (the default) or runs <c>--no-ack</c>.</summary>
internal sealed record ClientSpec(int Connections, bool Acknowledged);

/// <summary>
/// A schedule drawn from a seed: the same seed draws the same schedule (the instants are relative to the
/// clients' start, so a replay injects the same faults at the same moments of the run; what the
/// processes do around them is up to the machine).
/// </summary>
internal sealed record Schedule(long Seed, bool KeepDuplicates, TimeSpan Duration, IReadOnlyList<ClientSpec> Clients, IReadOnlyList<Fault> Faults) : IFaultSchedule
{
    /// <summary>The longest outage drawn: the README's bound for acknowledged clients' resends to land in order.</summary>
    public static readonly TimeSpan MaxOutage = TimeSpan.FromSeconds(20);

    /// <summary>
    /// The longest full disk drawn: 8 s, sixteen times the default --max-delay and eight times the idle timeout, so a
    /// window always outlasts both: while writes fail the server does not read, and that time counts toward neither
    /// (the engine's stall clock). Before it did, a full disk of ≥ ~3.3 s sent acknowledged values to .late
    /// (seeds 1, 112, 20261128000).
    /// </summary>
    public static readonly TimeSpan MaxDiskFull = TimeSpan.FromSeconds(8);

    /// <summary>Room after the last server or disk fault: the restarted server takes the clients' resends and acknowledges them before the clients stop.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(10);

    /// <summary>Time to count for a restart (a process start, a bind) in laying out the faults.</summary>
    private static readonly TimeSpan RestartAllowance = TimeSpan.FromSeconds(3);

    /// <summary>What a schedule costs beyond its duration: the ramp, the clients' final wait for acknowledgements, the server's stop, the check.</summary>
    public static readonly TimeSpan Overhead = TimeSpan.FromSeconds(12);

    public int Connections => Clients.Sum(c => c.Connections);

    public TimeSpan ExpectedLength => Duration + Overhead;

    public string Replay => string.Create(CultureInfo.InvariantCulture, $"scripts/torture.sh --seed {Seed}");

    public Task<ScheduleResult> RunAsync(HarnessOptions options, CancellationToken stop) => ScheduleRunner.RunAsync(this, options, stop);

    /// <summary>Draws the schedule of <paramref name="seed"/>; without <paramref name="diskFaults"/> (no root for a tmpfs) no disk-full window is drawn.</summary>
    public static Schedule Draw(long seed, bool diskFaults)
    {
        var rng = new Random(unchecked((int)seed ^ (int)(seed >> 32)));
        var keep = rng.Next(2) == 1;
        var duration = TimeSpan.FromSeconds(30 + rng.Next(16));

        // 50–200 connections over 2–4 processes, each acknowledged with probability 0.6, at least one of them.
        var total = 50 + rng.Next(151);
        var processes = 2 + rng.Next(3);
        var clients = new List<ClientSpec>();
        var left = total;
        for (var i = 0; i < processes; i++)
        {
            var n = i == processes - 1 ? left : Math.Max(10, rng.Next(10, left - (10 * (processes - i - 1)) + 1));
            left -= n;
            clients.Add(new ClientSpec(n, rng.NextDouble() < 0.6));
        }

        if (!clients.Any(c => c.Acknowledged))
        {
            clients[0] = clients[0] with { Acknowledged = true };
        }

        // Server and disk faults one after another (the README says nothing of a stop during a full disk);
        // each ends with the server up again, and the last one leaves the clients time to be acknowledged.
        var faults = new List<Fault>();
        var t = TimeSpan.FromSeconds(2 + rng.Next(4));
        var exclusive = 1 + rng.Next(3);
        for (var i = 0; i < exclusive; i++)
        {
            var roll = rng.Next(diskFaults ? 10 : 8);
            var kind = roll < 4 ? FaultKind.ServerTerm : roll < 8 ? FaultKind.ServerKill : FaultKind.DiskFull;
            var length = kind == FaultKind.DiskFull
                ? TimeSpan.FromMilliseconds(1000 + rng.Next((int)(MaxDiskFull.TotalMilliseconds - 1000) + 1))
                : TimeSpan.FromMilliseconds(rng.Next((int)MaxOutage.TotalMilliseconds + 1));
            var at = t + TimeSpan.FromMilliseconds(rng.Next(3000));
            if (at + length + RestartAllowance > duration - Settle)
            {
                break;
            }

            faults.Add(new Fault(kind, at, length));
            t = at + length + RestartAllowance;
        }

        // Clients and raw peers, at any instant.
        var others = rng.Next(4);
        for (var i = 0; i < others; i++)
        {
            var kind = (FaultKind)((int)FaultKind.ClientTerm + rng.Next(5));
            if (kind == FaultKind.ClientKill && keep)
            {
                // A SIGKILLed client never writes its records; in keep-duplicates mode the copies of every value
                // sent while it lived could then not be bounded (the check for doubled copies would go blind for
                // its whole life), so there it is stopped with SIGTERM.
                kind = FaultKind.ClientTerm;
            }

            var at = TimeSpan.FromMilliseconds(2000 + rng.Next((int)(duration.TotalMilliseconds - 8000)));
            faults.Add(kind switch
            {
                FaultKind.ClientTerm or FaultKind.ClientKill => new Fault(kind, at, TimeSpan.FromMilliseconds(rng.Next(3001)), rng.Next(clients.Count)),
                FaultKind.Garbage => new Fault(kind, at, TimeSpan.Zero, 1024 + rng.Next(63 * 1024)),
                _ => new Fault(kind, at, TimeSpan.FromMilliseconds(2000 + rng.Next(8001))),
            });
        }

        faults.Sort((a, b) => a.At.CompareTo(b.At));
        return new Schedule(seed, keep, duration, clients, faults);
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{(KeepDuplicates ? "keep-duplicates" : "dedupe")}, {Fault.Seconds(Duration)}, {Connections} connections (");
        text.AppendJoin(" + ", Clients.Select(c => $"{c.Connections}{(c.Acknowledged ? " acked" : " plain")}"));
        text.Append("); ");
        text.AppendJoin("; ", Faults);
        return text.ToString();
    }
}
