using System.Globalization;
using System.Text;
using Horodate.Core.Durability;
using Horodate.Core.Ordering;
using Horodate.Core.Protocol;
using Horodate.Core.Storage;

namespace Horodate.Simulation;

/// <content>The server's life: starts, restarts after an outage, crashes and graceful stops; clients' reconnection backoff.</content>
internal sealed partial class Simulator
{
    private long _outage;
    private bool _healed; // the end: no more storage faults at a start
    private long _graceEndsMs; // when the last restart's grace ends (monotonic)
    private readonly long _firstWall = SimClock.Epoch;
    private long _maxWallOffset = SimClock.Epoch;

    private void Start()
    {
        var (writeFaults, syncFaults) = (_files.WriteFaultPerMille, _files.SyncFaultPerMille);
        _files.WriteFaultPerMille = _files.SyncFaultPerMille = 0; // a first start on a working disk
        _core = IngestCore.Open(_options, _files, _clock, NullEvents.Instance);
        (_files.WriteFaultPerMille, _files.SyncFaultPerMille) = (writeFaults, syncFaults);
        _lastFlushMs = _clock.MonoMs;
    }

    /// <summary>The end: the server comes up if it is down, everyone catches up, a graceful stop, a last recovery.</summary>
    private void End()
    {
        _healed = true;
        _files.Capacity = long.MaxValue;
        _files.WriteFaultPerMille = _files.SyncFaultPerMille = 0;
        if (_core is { Failure: not null })
        {
            StopAfterFailedSync();
        }

        if (_core is null)
        {
            Restart();
        }

        // Clients read their acknowledgements again (so that every final one arrives within the catch-up).
        _eagainPerMille = _writeEagainPerMille = 0;
        _readPerMille = 1_000;
        foreach (var client in _clients)
        {
            // As horodate-client at the end of its run: done sending, it half-closes and waits for its final acknowledgement.
            if (client.Acknowledged)
            {
                client.Finish(_clock.MonoMs);
            }
            if (client.Connection is { } connection)
            {
                connection.EagainPerMille = connection.WriteEagainPerMille = 0;
            }
        }

        // 0.8 s at least; longer while a finished client still resends through a small send buffer, a few lines a turn.
        for (var i = 0; i < 400 || (i < 4_000 && _clients.Exists(c => c.Finished && !c.Gone && !c.FinalReceived)); i++)
        {
            Steps++;
            _clock.Advance(2);
            _files.Capacity = long.MaxValue;
            _files.WriteFaultPerMille = _files.SyncFaultPerMille = 0;
            ConnectAndSend(sending: false);
            Deliver(all: true);
            if (_clock.MonoMs - _lastFlushMs >= 10)
            {
                Flush();
            }

            _ = _core!.RunSync();
        }

        GracefulStop();
        Restart();
        GracefulStop();
    }

    private void Restart()
    {
        Note($"restart at {_clock.MonoMs} ms (wall {_clock.WallMs}); main {_files.Content(Output).Length} B, journal [{Encoding.ASCII.GetString(_files.Content(_options.JournalPath)).Replace('\n', '|')}]");
        StorageFaultsAtStart();
        try
        {
            _core = IngestCore.Open(_options, _files, _clock, NullEvents.Instance);
        }
        catch (IOException)
        {
            // The disk refused the start (the journal could not be rewritten): the server exits; it is started again later.
            _files.CrashAfterOps = 0;
            _outage += 50;
            Note("start failed");
            return;
        }
        catch (SimulatedCrash crash)
        {
            // It died during its recovery (a cut, the rewrite of its files' tails, the journal's temp file and rename):
            // the next start recovers from what that left, a torn write included; after a power loss, of it only what
            // was synced.
            _files.CrashAfterOps = 0;
            Crashes++;
            RecoveryCrashes++;
            Note($"crashed during the recovery: {crash.Message}");
            _files.Crash();
            _outage += 50;
            return;
        }

        _files.CrashAfterOps = 0;

        _resumeLast = _core.Resume.LastValue ?? -1;
        _delayBoundSeen = long.MinValue;
        _graceEndsMs = _clock.MonoMs + _options.Ordering.ResumeGraceMs;
        if (_clock.WallMs - (_resumeLast >= 0 ? _resumeLast : _firstWall) > _options.Ordering.ResumeOutageMs)
        {
            AfterLongOutage();
        }

        foreach (var client in _clients)
        {
            // Resends below the file's end (a graceful stop during the previous run's grace drained past them).
            foreach (var value in client.Unacked)
            {
                if (value < _resumeLast) // a copy of the file's last value is a duplicate, or follows it (keep-duplicates)
                {
                    _ = _lateByRule.Add(value);
                }
            }
        }

        _lastFlushMs = _clock.MonoMs;
        _verifiedMain = 0;
    }

    /// <summary>
    /// Storage faults during the recovery at a start, from a stream of their own: in one start in four the process dies
    /// at one of its first changes to the files (<see cref="SimFileSystem.CrashAfterOps"/>), and in one in eight the disk
    /// is full (a few bytes free, or none) as it starts; a full disk frees while the server is down (Step).
    /// </summary>
    /// <summary>Starts during whose recovery the process died.</summary>
    public int RecoveryCrashes { get; private set; }

    /// <summary>Starts on a full disk.</summary>
    public int FullAtStart { get; private set; }

    private void StorageFaultsAtStart()
    {
        if (_healed)
        {
            return; // the end: the last starts recover on a working disk
        }

        if (_recoveryRandom.Chance(250))
        {
            _files.CrashAfterOps = 1 + _recoveryRandom.Next(16);
        }

        if (_recoveryRandom.Chance(125) && _files.Capacity == long.MaxValue)
        {
            _files.Capacity = _files.Used + _recoveryRandom.Next(64);
            FullAtStart++;
            Note($"disk full at the start: capacity {_files.Capacity}");
        }
    }

    private void Down()
    {
        _downSinceMs = _clock.MonoMs;
        _outage = _random.Chance(100) ? 2_000 + _random.Next(3_000) : _random.Next(1_500);

        foreach (var client in _clients)
        {
            client.Failures = 0;
            client.ReconnectAtMs = _clock.MonoMs + Backoff(client);
            client.OpensAtMs = -1; // a connection still waiting dies with the server, and what was sent on it
            client.SentBeforeOpen.Clear();
        }

        _droppedClients.Clear(); // a network failure's excuse ends with the run: after a restart, resends land in order
    }

    private void Crash()
    {
        Crashes++;
        Note($"crash at {_clock.MonoMs} ms");
        foreach (var client in _clients)
        {
            if (client.Connection is { } connection)
            {
                Disconnect(connection, closeSource: false);
            }
        }

        _core = null; // the process is gone: nothing of it runs again
        _stale.Clear();
        Note($"before crash: main {_files.Content(Output).Length} B");
        _files.Crash();
        Note($"after crash: main {_files.Content(Output).Length} B");
        Down();
    }

    private void GracefulStop()
    {
        Stops++;
        Note($"graceful stop at {_clock.MonoMs} ms");
        var core = _core!;

        // Stop accepting and reading: what is in flight is read first (the drain), then nothing more; but a client
        // still sending as the drain ends (it waits for a quiet moment, at most a bound) leaves its last values unread.
        var unread = _clients.FindAll(c => c.Connection is { Read: true, InFlight.Count: > 0 } && _modelRandom.Chance(300))
            .Select(c => (c.Connection!, Tail: TakeTail(c.Connection!.InFlight, 1 + _modelRandom.Next(3)))).ToList();
        Deliver(all: true);
        foreach (var (connection, tail) in unread)
        {
            connection.InFlight.AddRange(tail); // never read: acknowledged clients resend them after the restart
        }

        foreach (var client in _clients)
        {
            client.Connection?.Read = false;
        }

        for (var attempt = 0; !core.Flush(final: true) && core.Failure is null && attempt < 50; attempt++)
        {
            _clock.Advance(100);
        }

        _ = core.RunSync();
        _ = core.FinishStop();

        // Only now are the connections closed.
        CloseStaleSources(all: true);
        foreach (var client in _clients)
        {
            if (client.Connection is { } connection)
            {
                Disconnect(connection, closeSource: true);
            }
        }

        core.Dispose();
        _core = null;
        Down();
        foreach (var client in _clients)
        {
            if (client.Finished && !client.FinalReceived)
            {
                Note($"{client.Id} finished, still waits for its final acknowledgement: refused {client.FinalRefused}");
            }
        }
    }

    private static List<long> TakeTail(List<long> values, int count)
    {
        count = Math.Min(count, values.Count);
        var tail = values.GetRange(values.Count - count, count);
        values.RemoveRange(values.Count - count, count);
        return tail;
    }

    private void Disconnect(SimConnection connection, bool closeSource)
    {
        connection.Close(); // an acknowledged client notices when it reads that far, or when a send fails
        if (closeSource && _core is not null)
        {
            _core.CloseSource(connection.Source);
        }

        connection.Client.Connection = null;
        connection.Client.Failures = 0;
        connection.Client.ReconnectAtMs = _clock.MonoMs + Backoff(connection.Client);
    }

    private long Backoff(SimClient client, SimRandom? random = null)
    {
        // 10 ms doubling to 500 ms, ±20% jitter (the client's 100 ms to 5 s, scaled).
        var ms = Math.Min(10L << Math.Min(client.Failures, 10), 500);
        return ms * (800 + (random ?? _random).Next(401)) / 1000;
    }
}
