using System.Globalization;
using System.Runtime.InteropServices;
using Horodate.Torture;
using Horodate.Torture.Tree;

// horodate-torture [--tree [--same-id-restarts]] [--minutes M] [--seed S] [--schedules N] [--work DIR] [--keep] [--print]
//   --seed S alone replays schedule S; with --minutes, S is the first seed of the run.
//   --print: prints the schedules seeds S.. would draw (--schedules N of them, 10 by default) without running them.
//   --tree: the tree's schedules (nats-server, edges, a root; see Tree/TreeSchedule.cs); --same-id-restarts lets a
//   killed edge come back under the same --edge-id (a known open defect: off unless asked for).
// Ends with "N schedules, N faults, N violations"; exit code 0 when no violation, 1 otherwise, 2 on bad usage.
// Ctrl-C or SIGTERM stops it cleanly (every process killed, the tmpfs unmounted); the schedule under way is not
// counted. (A shell that starts it in the background with & makes it ignore SIGINT: use SIGTERM there.)
double? minutes = null;
long? seed = null;
int? count = null;
string? work = null;
var keep = false;
var tree = false;
var sameId = false;
var print = false;
try
{
    for (var i = 0; i < args.Length; i++)
    {
        string Next() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
        switch (args[i])
        {
            case "--minutes": minutes = double.Parse(Next(), CultureInfo.InvariantCulture); break;
            case "--seed": seed = long.Parse(Next(), CultureInfo.InvariantCulture); break;
            case "--schedules": count = int.Parse(Next(), CultureInfo.InvariantCulture); break;
            case "--work": work = Next(); break;
            case "--keep": keep = true; break;
            case "--tree": tree = true; break;
            case "--same-id-restarts": sameId = true; break;
            case "--print": print = true; break;
            default: throw new FormatException($"unknown option {args[i]}");
        }
    }

    if (sameId && !tree)
    {
        throw new FormatException("--same-id-restarts needs --tree");
    }
}
catch (FormatException ex)
{
    Console.Error.WriteLine($"horodate-torture: {ex.Message}");
    return 2;
}

if (print)
{
    var first = seed ?? TortureRun.SeedFromClock();
    for (var s = first; s < first + (count ?? 10); s++)
    {
        Console.WriteLine($"seed {s}: {(tree ? TreeSchedule.Draw(s, new TreeMode(sameId)) : Schedule.Draw(s, diskFaults: true))}");
    }

    return 0;
}

using var stop = new CancellationTokenSource();
using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
void Stop(PosixSignalContext context)
{
    context.Cancel = true; // stop after cleaning up: every process killed, the tmpfs unmounted
    stop.Cancel();
}

var options = await TortureRun.DefaultOptionsAsync(work, keep, tree ? new TreeMode(sameId) : null);
if (!options.DiskFaults && !tree)
{
    Console.WriteLine("(no tmpfs could be mounted — not root? — so no disk-full faults)");
}

var budget = minutes is { } m ? TimeSpan.FromMinutes(m) : TimeSpan.Zero;
var totals = await TortureRun.RunAsync(options, seed ?? TortureRun.SeedFromClock(), budget, count ?? (minutes is null && seed is not null ? 1 : int.MaxValue), Console.Out, stop.Token);
Console.WriteLine(totals);
return totals.Violations == 0 && !stop.IsCancellationRequested ? 0 : 1;
