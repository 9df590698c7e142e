using System.Diagnostics;
using Horodate.Client.Status;
using Horodate.Core.Diagnostics;

namespace Horodate.Client.Load;

public sealed partial class LoadClient
{
    private int _everUp;
    private long _steadyStart; // a Stopwatch timestamp: when the last connection came up for the first time; 0 before
    private long _sentAtSteadyStart;

    /// <summary>
    /// A connection came up for the first time (in acknowledged mode: its hello answered, so the greeting round trip
    /// is part of the ramp). When the last one does, the steady state begins: every connection sends on its schedule.
    /// </summary>
    private void NoteFirstUp()
    {
        if (Interlocked.Increment(ref _everUp) == _connections.Length)
        {
            _sentAtSteadyStart = _schedulers.Sum(s => s.Tally.Sent);
            Volatile.Write(ref _steadyStart, Stopwatch.GetTimestamp());
        }
    }

    /// <summary>
    /// How long the steady state lasted until <paramref name="stopped"/> and how many values it sent (<paramref name="sent"/>
    /// in all): what a rate should be judged on, since during the ramp connections not up yet send nothing by design.
    /// Zero and zero if some connection never came up.
    /// </summary>
    private (TimeSpan Steady, long Sent) SteadyState(long stopped, long sent)
    {
        var start = Volatile.Read(ref _steadyStart);
        return start == 0 || start >= stopped ? (TimeSpan.Zero, 0) : (Stopwatch.GetElapsedTime(start, stopped), sent - _sentAtSteadyStart);
    }

    /// <summary>
    /// The client's status now: the one place it is put together. Read across threads without stopping them: a
    /// display while the run goes on, exact once the schedulers have stopped (the summary's).
    /// </summary>
    private ClientStatus TakeStatus()
    {
        var lateness = new LatencyHistogram();
        foreach (var scheduler in _schedulers)
        {
            scheduler.AddLateness(lateness);
        }

        return new ClientStatus
        {
            Elapsed = Stopwatch.GetElapsedTime(_started),
            Connections = _options.Connections,
            Up = Volatile.Read(ref _up),
            Ramping = _ramping,
            Sent = _schedulers.Sum(s => s.Tally.Sent),
            SkippedDown = _schedulers.Sum(s => s.Tally.SkippedDown),
            SkippedBusy = _schedulers.Sum(s => s.Tally.SkippedBusy),
            SkippedClock = _schedulers.Sum(s => s.Tally.SkippedClock),
            Reconnects = Interlocked.Read(ref _reconnects),
            ConnectFailures = Interlocked.Read(ref _connectFailures),
            AckMode = !_options.Acknowledged ? "off"
                : _connections.Any(c => c.Mode == ServerMode.Acknowledged) ? "ack"
                : _connections.Any(c => c.Mode == ServerMode.Plain) ? "plain"
                : "none", // no server has answered a hello or let one time out: nothing is known of its mode
            Acked = _connections.Sum(c => c.Acked),
            Unacked = _options.Acknowledged ? _connections.Sum(c => c.Mode == ServerMode.Plain ? 0L : c.UnackedCount) : 0,
            DroppedUnacked = _connections.Sum(c => c.DroppedUnacked),
            Resent = _schedulers.Sum(s => s.Tally.Resent),
            LatenessUs = lateness,
        };
    }

    /// <summary>Reports a <see cref="ClientStatus"/> every status interval, from the ramp on, until stopped.</summary>
    private async Task ReportAsync(CancellationToken stop)
    {
        if (_progress is null || _options.StatusInterval <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = new PeriodicTimer(_options.StatusInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                _progress.Report(TakeStatus());
            }
        }
        catch (OperationCanceledException)
        {
            // stopped
        }
    }
}
