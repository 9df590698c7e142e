using System.Diagnostics;
using System.Globalization;

namespace Horodate.Torture;

/// <summary>
/// Runs one schedule over the real processes on 127.0.0.1: the server on a tmpfs, the client processes,
/// the faults at their instants; then stops everything, and hands the files and the clients' records to
/// <c>horodate-checker</c>.
/// </summary>
internal sealed partial class ScheduleRunner : ScheduleRun
{
    /// <summary>
    /// Plain values sent this long before a SIGTERM may be lost: a value is read from the clock a little
    /// before it is sent (a busy scheduler, a slow peer's bytes), and the server reads in-flight data for
    /// 250 ms at most while clients keep sending.
    /// </summary>
    private static readonly TimeSpan TermExcuse = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Plain values sent this long before a kill -9 may be lost: the README lets values in the server's memory
    /// go, and a lagging connection holds them there up to --max-delay (5 s); keep-duplicates' journal cuts back
    /// to the last sync (--sync-interval, 250 ms); plus the same second as for a SIGTERM.
    /// </summary>
    private static readonly TimeSpan KillExcuse = TimeSpan.FromMilliseconds(5000 + 250 + 1000);

    /// <summary>After a restart is listening, the clients' connections still in their backoff come back; a second's slack for a stale socket's last send.</summary>
    private static readonly TimeSpan RestartExcuse = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly Schedule _schedule;
    private readonly Random _rng;
    private readonly List<ClientRun> _clients = [];
    private readonly ClientRun?[] _slots;
    private readonly List<(long From, long To)> _excused = [];
    private readonly List<(long From, long To)> _unrecorded = [];
    private readonly List<string> _peerRecords = [];
    private readonly List<Task> _peers = [];
    private readonly CancellationTokenSource _peerStop = new();
    private readonly Lock _gate = new();
    private Disk? _disk;
    private ChildProcess? _server;
    private int _port;
    private int _serverStarts;

    private ScheduleRunner(Schedule schedule, HarnessOptions options)
        : base(schedule, options, Path.Combine(options.WorkDir, string.Create(CultureInfo.InvariantCulture, $"seed-{schedule.Seed}")))
    {
        _schedule = schedule;
        _rng = new Random(unchecked((int)schedule.Seed * 31));
        _slots = new ClientRun?[schedule.Clients.Count];
    }

    private string Output => Path.Combine(_disk!.Path, "out.txt");

    public static async Task<ScheduleResult> RunAsync(Schedule schedule, HarnessOptions options, CancellationToken stop)
    {
        await using var runner = new ScheduleRunner(schedule, options);
        return await runner.RunToVerdictAsync(stop).ConfigureAwait(false);
    }

    protected override async ValueTask StopEverythingAsync()
    {
        await _peerStop.CancelAsync().ConfigureAwait(false);
        foreach (var run in _clients)
        {
            run.Process.Dispose();
        }

        _server?.Dispose();
        _disk?.Dispose();
        _peerStop.Dispose();
    }

    protected override async Task RunAsync(CancellationToken stop)
    {
        if (Directory.Exists(Dir))
        {
            await Disk.UnmountLeftoverAsync(Path.Combine(Dir, "disk")).ConfigureAwait(false);
            Directory.Delete(Dir, recursive: true);
        }

        Directory.CreateDirectory(Dir);
        _disk = await Disk.MountAsync(Path.Combine(Dir, "disk")).ConfigureAwait(false);
        _port = Ports.Free(_rng);
        if (!await StartServerAsync(stop).ConfigureAwait(false))
        {
            return;
        }

        StartClock();
        for (var slot = 0; slot < _schedule.Clients.Count; slot++)
        {
            StartClient(slot, _schedule.Duration);
        }

        await Task.WhenAll(_schedule.Faults.Select(f => InjectAsync(f, stop))).ConfigureAwait(false);

        // The clients end by themselves (their duration, then at most --ack-wait for the last acknowledgements).
        var deadline = _schedule.Duration + TimeSpan.FromSeconds(60) - Elapsed;
        foreach (var run in _clients)
        {
            if (!await run.Process.WaitForExitAsync(deadline > TimeSpan.Zero ? deadline : TimeSpan.FromSeconds(1)).ConfigureAwait(false))
            {
                Violations.Add($"client {run.Slot}.{run.Generation} did not finish within its duration + 60 s (killed; its records are lost)");
                run.Process.KillHard();
                await run.Process.WaitForExitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
        }

        await _peerStop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_peers).ConfigureAwait(false);

        // The final graceful stop; then the files are read where the server left them.
        if (_server is not null)
        {
            await StopServerAsync(hard: false).ConfigureAwait(false);
        }

        foreach (var name in new[] { "out.txt", "out.txt.late", "out.txt.clients" })
        {
            var from = Path.Combine(_disk.Path, name);
            if (File.Exists(from))
            {
                File.Copy(from, Path.Combine(Dir, name), overwrite: true);
            }
        }

        await CheckAsync(stop).ConfigureAwait(false);
    }

    private async Task CheckAsync(CancellationToken stop)
    {
        List<string> args = ["--output", Path.Combine(Dir, "out.txt"), "--origin", T0Ms.ToString(CultureInfo.InvariantCulture)];
        if (_schedule.KeepDuplicates)
        {
            args.Add("--keep-duplicates");
        }

        foreach (var run in _clients)
        {
            if (run.KilledMs is not null || !File.Exists(run.SentPath))
            {
                // A client killed with SIGKILL never wrote its records: whatever it sent while it lived needs none.
                var to = run.KilledMs ?? NowMs;
                _unrecorded.Add((run.Process.StartedMs - 1000, to + 1000));
                continue;
            }

            args.AddRange(["--sent", run.SentPath]);
            if (run.Spec.Acknowledged)
            {
                args.AddRange(["--acked", run.AckedPath]);
            }
            else
            {
                args.AddRange(["--required", run.SentPath]);
            }
        }

        foreach (var record in _peerRecords)
        {
            args.AddRange(["--sent", record, "--required", record]);
        }

        foreach (var (from, to) in _excused)
        {
            args.AddRange(["--excuse", string.Create(CultureInfo.InvariantCulture, $"{from}-{to}")]);
        }

        foreach (var (from, to) in _unrecorded)
        {
            args.AddRange(["--unrecorded", string.Create(CultureInfo.InvariantCulture, $"{from}-{to}")]);
        }

        var found = await CheckerRun.RunAsync(Options.Checker, args, Dir, stop).ConfigureAwait(false);
        lock (_gate)
        {
            Violations.AddRange(found);
        }
    }

    private void Violation(string text)
    {
        lock (_gate)
        {
            Violations.Add(text);
        }
    }

    /// <summary>One client process: the slot it fills, its generation in that slot, its records.</summary>
    private sealed class ClientRun(int slot, int generation, ClientSpec spec, ChildProcess process, string sentPath, string ackedPath)
    {
        public int Slot { get; } = slot;

        public int Generation { get; } = generation;

        public ClientSpec Spec { get; } = spec;

        public ChildProcess Process { get; } = process;

        public string SentPath { get; } = sentPath;

        public string AckedPath { get; } = ackedPath;

        /// <summary>When it got SIGKILL: its records were never written.</summary>
        public long? KilledMs { get; set; }
    }
}
