using System.Globalization;
using System.Net;

namespace Horodate.Torture;

/// <summary>The faults, each at its instant: the server or a client stopped and restarted, the disk filled, a raw peer.</summary>
internal sealed partial class ScheduleRunner
{
    private async Task InjectAsync(Fault fault, CancellationToken stop)
    {
        var wait = fault.At - Elapsed;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, stop).ConfigureAwait(false);
        }

        var injected = fault.Kind switch
        {
            FaultKind.ServerTerm or FaultKind.ServerKill => await BounceServerAsync(fault, stop).ConfigureAwait(false),
            FaultKind.DiskFull => await FillDiskAsync(fault, stop).ConfigureAwait(false),
            FaultKind.ClientTerm or FaultKind.ClientKill => await BounceClientAsync(fault, stop).ConfigureAwait(false),
            _ => StartPeer(fault),
        };
        if (injected)
        {
            CountFault();
        }
    }

    private async Task<bool> BounceServerAsync(Fault fault, CancellationToken stop)
    {
        if (_server is null)
        {
            return false;
        }

        var hard = fault.Kind == FaultKind.ServerKill;
        var at = NowMs;
        await StopServerAsync(hard).ConfigureAwait(false);
        var rest = TimeSpan.FromMilliseconds(at + fault.Length.TotalMilliseconds - NowMs);
        if (rest > TimeSpan.Zero)
        {
            await Task.Delay(rest, stop).ConfigureAwait(false);
        }

        var started = await StartServerAsync(stop).ConfigureAwait(false);
        var excuse = hard ? KillExcuse : TermExcuse;
        lock (_gate)
        {
            _excused.Add((at - (long)excuse.TotalMilliseconds, NowMs + (long)RestartExcuse.TotalMilliseconds));
        }

        return started;
    }

    private async Task<bool> BounceClientAsync(Fault fault, CancellationToken stop)
    {
        var slot = fault.Target;
        var run = _slots[slot];
        if (run is null || run.Process.HasExited)
        {
            return false;
        }

        _slots[slot] = null;
        if (fault.Kind == FaultKind.ClientKill)
        {
            run.KilledMs = NowMs;
            run.Process.KillHard();
            await run.Process.WaitForExitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        else
        {
            run.Process.Terminate();
            if (!await run.Process.WaitForExitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false))
            {
                Violation($"client {run.Slot}.{run.Generation} did not exit within 30 s of SIGTERM (killed; its records are lost)");
                run.KilledMs = NowMs;
                run.Process.KillHard();
                await run.Process.WaitForExitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
        }

        await Task.Delay(fault.Length, stop).ConfigureAwait(false);
        var left = _schedule.Duration - Elapsed;
        if (left > TimeSpan.FromSeconds(3))
        {
            StartClient(slot, left);
        }

        return true;
    }

    private async Task<bool> FillDiskAsync(Fault fault, CancellationToken stop)
    {
        if (!_disk!.Mounted)
        {
            return false;
        }

        _disk.Fill();
        try
        {
            await Task.Delay(fault.Length, stop).ConfigureAwait(false);
        }
        finally
        {
            _disk.Free();
        }

        return true;
    }

    private bool StartPeer(Fault fault)
    {
        if (_server is null)
        {
            return false; // down for an outage: a peer would only be refused
        }

        var endpoint = new IPEndPoint(IPAddress.Loopback, _port);
        var rng = new Random(_rng.Next());
        var record = Path.Combine(Dir, string.Create(CultureInfo.InvariantCulture, $"peer-{_peers.Count}.sent"));
        var token = _peerStop.Token;
        Task peer = fault.Kind switch
        {
            FaultKind.SlowPeer => RawPeer.SlowAsync(endpoint, fault.Length, rng, record, token),
            FaultKind.HalfOpenPeer => RawPeer.HalfOpenAsync(endpoint, fault.Length, record, token),
            _ => RawPeer.GarbageAsync(endpoint, fault.Target, rng, token),
        };
        lock (_gate)
        {
            _peers.Add(peer);
            if (fault.Kind != FaultKind.Garbage)
            {
                _peerRecords.Add(record);
            }
        }

        return true;
    }
}
