using System.Diagnostics;
using System.Globalization;

namespace Horodate.Simulation;

/// <summary>
/// <c>scripts/simulate.sh --schedules N | --minutes M [--seed S] [--trace] [--no-nul-tails] [--client-clocks] [--shared-ids] [--tree]</c>: runs schedules (of the
/// single server, or with <c>--tree</c> of edges, JetStream and a root) from consecutive
/// seeds and ends with one line, <c>N schedules, N violations</c>. A violation prints its seed, which replays it.
/// </summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        long schedules = 10_000;
        double minutes = 0;
        ulong first = (ulong)DateTime.UtcNow.Ticks;
        var trace = false;
        var nulTails = true;
        var tree = false;
        var clientClocks = false;
        var sharedIds = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--schedules":
                    schedules = long.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--minutes":
                    minutes = double.Parse(args[++i], CultureInfo.InvariantCulture);
                    schedules = long.MaxValue;
                    break;
                case "--seed":
                    first = ulong.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--trace":
                    trace = true;
                    break;
                case "--tree":
                    tree = true;
                    break;
                case "--client-clocks":
                    clientClocks = true;
                    break;
                case "--shared-ids":
                    sharedIds = true;
                    break;
                case "--no-nul-tails":
                    nulTails = false;
                    break;
                default:
                    Console.Error.WriteLine($"unknown option {args[i]}; usage: simulate [--schedules N | --minutes M] [--seed S] [--trace] [--no-nul-tails] [--client-clocks] [--shared-ids] [--tree]");
                    return 2;
            }
        }

        var clock = Stopwatch.StartNew();
        var budget = minutes > 0 ? TimeSpan.FromMinutes(minutes) : (TimeSpan?)null;
        var result = tree
            ? SimulationRun.RunTree(first, schedules, budget, trace, Console.Out)
            : SimulationRun.Run(first, schedules, budget, trace, Console.Out, nulTails, clientClocks, sharedIds);
        Console.Error.WriteLine($"{result.Schedules / Math.Max(clock.Elapsed.TotalSeconds, 1e-3):F0} schedules/s, first seed {first}" +
            (tree ? "" : $"; {result.MidResendSchedules} schedules read an ACK in the middle of a resend, {result.PlainFallbackSchedules} took the server for a plain one, {result.GaveUpSchedules} gave up waiting for their final acknowledgement, " +
                $"{result.RecoveryCrashSchedules} crashed during a recovery, {result.FullAtStartSchedules} started on a full disk, {result.RestartedClientSchedules} restarted a killed client"));
        Console.WriteLine($"{result.Schedules} schedules, {result.Violations} violations");
        return result.Violations == 0 ? 0 : 1;
    }
}

/// <summary>Runs a range of seeds.</summary>
internal static class SimulationRun
{
    /// <param name="MidResendSchedules">Schedules in which a client read an acknowledgement in the middle of a resend.</param>
    /// <param name="PlainFallbackSchedules">Schedules in which a client took the server for a plain one (its hello unanswered).</param>
    /// <param name="GaveUpSchedules">Schedules in which a finished client gave up waiting for its final acknowledgement.</param>
    /// <param name="RecoveryCrashSchedules">Schedules in which the server died during its recovery at a start.</param>
    /// <param name="FullAtStartSchedules">Schedules in which the server started on a full disk.</param>
    /// <param name="RestartedClientSchedules">Schedules in which a killed client was restarted (a new client).</param>
    public readonly record struct Result(long Schedules, long Violations, string? FirstViolation, long MidResendSchedules = 0, long PlainFallbackSchedules = 0, long GaveUpSchedules = 0, long RecoveryCrashSchedules = 0, long FullAtStartSchedules = 0, long RestartedClientSchedules = 0);

    public static Result Run(ulong firstSeed, long schedules, TimeSpan? budget, bool trace, TextWriter report, bool nulTails = true, bool clientClocks = false, bool sharedIds = false)
    {
        var clock = Stopwatch.StartNew();
        long run = 0, violations = 0, midResend = 0, plain = 0, gaveUp = 0, recoveryCrash = 0, fullAtStart = 0, restarted = 0;
        string? firstViolation = null;
        for (var seed = firstSeed; run < schedules && (budget is not { } b || clock.Elapsed < b); seed++, run++)
        {
            var simulator = new Simulator(seed, trace) { NulTails = nulTails, ClientClocksStep = clientClocks, SharedIds = sharedIds };
            var outcome = simulator.Run();
            midResend += simulator.MidResendAcks > 0 ? 1 : 0;
            plain += simulator.PlainFallbacks > 0 ? 1 : 0;
            gaveUp += simulator.GaveUp > 0 ? 1 : 0;
            recoveryCrash += simulator.RecoveryCrashes > 0 ? 1 : 0;
            fullAtStart += simulator.FullAtStart > 0 ? 1 : 0;
            restarted += simulator.Restarted > 0 ? 1 : 0;
            if (outcome is { } violation)
            {
                violations++;
                var text = $"VIOLATION {simulator}: {violation}";
                firstViolation ??= text;
                report.WriteLine(text);
                if (trace)
                {
                    report.Write(simulator.Trace);
                }
            }
        }

        return new Result(run, violations, firstViolation, midResend, plain, gaveUp, recoveryCrash, fullAtStart, restarted);
    }

    /// <summary>Runs a range of seeds of the tree (<see cref="Tree.TreeSimulator"/>).</summary>
    public static Result RunTree(ulong firstSeed, long schedules, TimeSpan? budget, bool trace, TextWriter report)
    {
        var clock = Stopwatch.StartNew();
        long run = 0, violations = 0;
        string? firstViolation = null;
        for (var seed = firstSeed; run < schedules && (budget is not { } b || clock.Elapsed < b); seed++, run++)
        {
            var simulator = new Tree.TreeSimulator(seed, trace);
            if (simulator.Run() is { } violation)
            {
                violations++;
                var text = $"VIOLATION {simulator}: {violation}";
                firstViolation ??= text;
                report.WriteLine(text);
                if (trace)
                {
                    report.Write(simulator.Trace);
                }
            }
        }

        return new Result(run, violations, firstViolation);
    }
}
