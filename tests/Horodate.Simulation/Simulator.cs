using System.Globalization;
using System.Text;
using Horodate.Core.Durability;
using Horodate.Core.Ordering;
using Horodate.Core.Protocol;
using Horodate.Core.Storage;

namespace Horodate.Simulation;

/// <summary>
/// One schedule, drawn from a seed: clients, faults, crashes and graceful stops of the server core
/// (<see cref="IngestCore"/>, as production runs it, on a <see cref="SimFileSystem"/> and a
/// <see cref="SimClock"/>), the acknowledged clients being the client's production connection over simulated sockets
/// (Simulator.Clients.cs), every step executed by a single-threaded scheduler; then the checks.
/// </summary>
internal sealed partial class Simulator
{
    private const string Output = "/sim/out.txt";

    private readonly ulong _seed;
    private readonly SimRandom _random;
    private readonly SimClock _clock = new();
    private readonly SimFileSystem _files;
    private readonly IngestOptions _options;
    private readonly List<SimClient> _clients = [];
    private int _eagainPerMille;
    private readonly StringBuilder _trace = new();
    private readonly bool _tracing;
    private IngestCore? _core;
    private long _downSinceMs = -1;
    private long _stepped;
    private long _longOutage;

    // The highest write point the engine was forced to by a value beyond its window (after not reading: a full disk,
    // a stall, with wall-clock steps, the socket buffers held values further apart than its rings span: the README's
    // bound on such a pause). Values below it read after that are late by that rule; 0 while it never happened.
    private long _forcedFloor;
    private long _lastFlushMs;
    private int _verifiedMain;

    // The README's rule for late values: below the write point, which a restart puts at the file's end. A value
    // a client's clock gives after a restart at or below that end is late by rule.
    private long _resumeLast = -1;
    private readonly HashSet<long> _lateByRule = [];

    // Draws for the parts of the model added after the fixed seed range became the regression net (the wait between a
    // client's connect() returning and the server opening the connection; what a graceful stop leaves unread): their
    // own stream, so that the schedules of the other faults stay what their seeds always gave.
    private readonly SimRandom _modelRandom;
    private readonly int _acceptWaitMaxMs;

    /// <summary>Clients whose connection dropped (a network failure) while the server ran: their values may arrive late.</summary>
    private readonly HashSet<SimClient> _droppedClients = [];

    /// <summary>Storage faults during a start's recovery (Simulator.Lifecycle.cs): their own stream.</summary>
    private readonly SimRandom _recoveryRandom;

    public Simulator(ulong seed, bool trace = false)
    {
        _seed = seed;
        _tracing = trace;
        _random = new SimRandom(seed);
        _files = new SimFileSystem(new SimRandom(seed ^ 0x5DEECE66DUL));
        _modelRandom = new SimRandom(seed ^ 0xACCE97UL);
        _acceptWaitMaxMs = _modelRandom.Next(6) switch { < 3 => 0, 3 => 3, 4 => 10, _ => 40 }; // none in half the schedules; up to 400 ms, scaled
        var dedupe = _random.Chance(500);

        // Time scaled down about ten times from the defaults, so that a schedule is short and the rings small;
        // the relations between the durations are the defaults' (backoff max + jitter < grace, outage bound).
        _options = new IngestOptions
        {
            Output = Output,
            SyncIntervalMs = 25,
            JournalRotateBytes = 2_048, // a few seconds of records: rotations happen within a schedule, crashes among them
            Ordering = new OrderingOptions
            {
                Dedupe = dedupe,
                IdleTimeoutMs = 100,
                MaxFutureMs = 1_000,
                MaxDelayMs = 500,
                ResumeGraceMs = 700,
                ResumeOutageMs = 2_000,
                DedupeHistoryBits = 14,
            },
        };
        _options = _options with
        {
            StallGapMs = IngestOptions.StallGapFor(_options.Ordering, flushIntervalMs: 4), // a step is 1–4 ms
            AckIntervalMs = _modelRandom.Next(4) switch { 0 => 0, 1 => 25, 2 => 125, _ => 500 }, // every sync to the 5 s default, scaled
        };
        _eagainPerMille = _random.Chance(300) ? 200 : 0;
        _wireRandom = new SimRandom(seed ^ 0xC11E47UL);
        _sendBufferBytes = DrawSendBuffer(_wireRandom);
        _partialPerMille = _wireRandom.Chance(500) ? 100 : 0;
        _writeEagainPerMille = _wireRandom.Chance(300) ? 100 : 0;
        _readPerMille = _wireRandom.Next(3) switch { 0 => 1_000, 1 => 300, _ => 50 }; // every step, or now and then (then within 20 ms)
        _ackWaitMs = new SimRandom(seed ^ 0xAC4A17UL).Next(4) == 0 ? 300 : long.MaxValue;
        _restartRandom = new SimRandom(seed ^ 0x4E57A47UL);
        _recoveryRandom = new SimRandom(seed ^ 0x2EC0FE2UL);
        if (_random.Chance(300))
        {
            _files.WriteFaultPerMille = 50;
        }

        if (_random.Chance(300))
        {
            _files.SyncFaultPerMille = 50;
        }

        var aligned = _random.Chance(300);
        var count = 1 + _random.Next(4);
        for (var i = 0; i < count; i++)
        {
            var acknowledged = _random.Chance(750);
            _clients.Add(new SimClient(i, acknowledged, aligned ? 0 : _random.Next(41) - 20, 5 + _random.Next(3) * 5));
        }
    }

    public long Steps { get; private set; }

    public int Crashes { get; private set; }

    public int Stops { get; private set; }

    public string Trace => _trace.ToString();

    public bool Dedupe => _options.Ordering.Dedupe;

    /// <summary>Runs the schedule; returns the first violation found, or null.</summary>
    public string? Run()
    {
        try
        {
            return RunSchedule();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return $"exception: {ex}";
        }
    }

    private string? RunSchedule()
    {
        Start();
        var horizon = 600 + _random.Next(1_400);
        while (_clock.MonoMs < horizon)
        {
            Steps++;
            _clock.Advance(1 + _random.Next(4));
            if (Step() is { } violation)
            {
                return violation;
            }
        }

        End();
        return Check(final: true);
    }

    private string? Step()
    {
        if (_core is null)
        {
            if (_clock.MonoMs - _downSinceMs >= _outage)
            {
                Restart();
            }

            ConnectAndSend(sending: true); // clients try to reconnect, and fail, with backoff
            if (_files.Capacity != long.MaxValue && _recoveryRandom.Chance(20))
            {
                _files.Capacity = long.MaxValue; // the full disk that refused a start is freed
                Note("disk freed while the server is down");
            }

            if (_random.Chance(2))
            {
                PowerLossWhileDown();
            }

            return null;
        }

        CloseStaleSources();

        ConnectAndSend(sending: true);
        if (_random.Chance(600))
        {
            Deliver(all: _random.Chance(300));
        }

        if (_clock.MonoMs - _lastFlushMs >= 10)
        {
            Flush();
        }

        if (_core!.SyncPending && _random.Chance(500))
        {
            _ = _core.RunSync();
        }

        if (_core.Failure is not null)
        {
            StopAfterFailedSync();
            return Check(final: false);
        }

        // Faults.
        if (_random.Chance(3))
        {
            Crash();
            return Check(final: false);
        }

        if (_random.Chance(2))
        {
            GracefulStop();
            return Check(final: false);
        }

        if (_random.Chance(2))
        {
            StepClock();
        }

        if (_random.Chance(2))
        {
            // The server process stalls (SIGSTOP then SIGCONT, a long GC pause): it neither reads nor flushes, for up to
            // 1.5 s (beyond the idle timeout and the max-delay); the clients go on sending into the socket buffers.
            var stall = 1 + _random.Next(1_500);
            Note($"server stalled {stall} ms");
            for (var until = _clock.MonoMs + stall; _clock.MonoMs < until;)
            {
                _clock.Advance(1 + _random.Next(4));
                ConnectAndSend(sending: true, connect: false); // a new connection waits for the server to accept it
            }
        }

        if (_random.Chance(3))
        {
            _files.Capacity = _files.Capacity == long.MaxValue ? _files.Used + _random.Next(64) : long.MaxValue;
            Note($"disk capacity {_files.Capacity}");
        }

        if (_random.Chance(2) && _clients.Find(c => c.Acknowledged && !c.Finished && !c.Gone) is { } done)
        {
            done.Finish(_clock.MonoMs);
            Note($"client {done.Id} finished");
        }

        if (_random.Chance(2))
        {
            DropLiveConnection();
        }

        SlowDownALink();
        StepAClientClock();

        if (_random.Chance(3) && _clients[_random.Next(_clients.Count)] is { Gone: false, Connection: { } dropped })
        {
            // A network failure (no crash): the connection drops, the client lives on, reconnects with backoff and
            // resends what it had not had acknowledged. Meanwhile the write point moves on without it: what it sends
            // that arrives below it is late by the rules (README: not promised), which Deliver records.
            _ = _droppedClients.Add(dropped.Client);
            Disconnect(dropped, closeSource: true);
            Note($"client {dropped.Client.Id} disconnected");
        }

        if (_random.Chance(1) && _clients.Find(c => !c.Gone && c.Connection is not null) is { } victim)
        {
            // A client killed: its connection closes; what it had not had acknowledged is lost with it.
            victim.Gone = true;
            KillClient(victim);
        }

        return CheckMain();
    }

    private void Note(string what)
    {
        if (_tracing)
        {
            _trace.Append(CultureInfo.InvariantCulture, $"[{_clock.MonoMs}] {what}\n");
        }
    }

    /// <summary>The seed's schedule, described (for a failure report).</summary>
    public override string ToString() =>
        $"seed {_seed}: {(Dedupe ? "dedupe" : "keep-duplicates")}, {_clients.Count} clients ({_clients.Count(c => c.Acknowledged)} acknowledged), " +
        $"{Crashes} crashes, {Stops} stops, {_stepped} clock steps, {Steps} steps";
}
