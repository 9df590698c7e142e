using System.Diagnostics;
using Horodate.Client.Status;
using Horodate.Core.Diagnostics;

namespace Horodate.Client.Load;

public sealed partial class LoadClient
{
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
            AckMode = !_options.Acknowledged ? "off" : _connections.Any(c => c.Mode == ServerMode.Acknowledged) ? "ack" : "plain",
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
