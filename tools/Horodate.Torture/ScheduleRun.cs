using System.Diagnostics;

namespace Horodate.Torture;

/// <summary>
/// What every schedule's run shares, whatever it starts: its directory, its clock, the faults it injected and the
/// violations it found; it runs to a <see cref="ScheduleResult"/> (a run stopped by hand has no verdict), and on
/// dispose kills what it started, then deletes its files unless they show something (or the options keep them).
/// </summary>
internal abstract class ScheduleRun(IFaultSchedule schedule, HarnessOptions options, string dir) : IAsyncDisposable
{
    private long _t0;
    private int _faults;
    private bool _interrupted;

    protected HarnessOptions Options => options;

    /// <summary>The run's own directory below the work directory: logs, files, the clients' records.</summary>
    protected string Dir => dir;

    protected List<string> Violations { get; } = [];


    /// <summary>The wall clock (Unix ms) at the run's start: the origin the checker and the servers share.</summary>
    protected long T0Ms { get; private set; }

    protected TimeSpan Elapsed => Stopwatch.GetElapsedTime(_t0);

    protected static long NowMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>Runs the schedule, and says what it did and found.</summary>
    public async Task<ScheduleResult> RunToVerdictAsync(CancellationToken stop)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await RunAsync(stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            _interrupted = true; // stopped by hand: no verdict, the files are left for a look
        }

        return new ScheduleResult(schedule, Volatile.Read(ref _faults), Violations, Stopwatch.GetElapsedTime(started), Dir, _interrupted);
    }

    public async ValueTask DisposeAsync()
    {
        await StopEverythingAsync().ConfigureAwait(false);
        if (Violations.Count == 0 && !_interrupted && !Options.KeepFiles && Directory.Exists(Dir))
        {
            Directory.Delete(Dir, recursive: true);
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Starts the clock the faults' instants and <see cref="Elapsed"/> count from.</summary>
    protected void StartClock()
    {
        _t0 = Stopwatch.GetTimestamp();
        T0Ms = NowMs;
    }

    /// <summary>Counts a fault injected (faults run concurrently).</summary>
    protected void CountFault() => Interlocked.Increment(ref _faults);

    protected abstract Task RunAsync(CancellationToken stop);

    /// <summary>Kills every process the run started (SIGKILL reaches a frozen one too) and releases what it holds.</summary>
    protected abstract ValueTask StopEverythingAsync();
}
