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
/// <see cref="SimClock"/>), every step executed by a single-threaded scheduler; then the checks.
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

    // Times the server, after not reading (a full disk, a stall, with wall-clock steps), found values in the socket
    // buffers further apart than its rings span: the README's bound on such a pause; older values may then be late.
    private long _beyondWindow;
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
        _options = _options with { StallGapMs = IngestOptions.StallGapFor(_options.Ordering, flushIntervalMs: 4) }; // a step is 1–4 ms
        _eagainPerMille = _random.Chance(300) ? 200 : 0;
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

        // The end: the server comes up if it is down, everyone catches up, a graceful stop, a last recovery.
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
        _eagainPerMille = 0;
        foreach (var client in _clients)
        {
            // As horodate-client at the end of its run: done sending, it half-closes and waits for its final acknowledgement.
            client.Finished |= client.Acknowledged;
            client.Connection?.EagainPerMille = 0;
        }

        for (var i = 0; i < 400; i++)
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
            // A clock step: forward up to 3 s (beyond the idle timeout and the max-delay), or back by less than
            // MaxFuture less the clients' skew (further back, the clients' ascending values are "in the future"
            // and rejected: acknowledged, never stored, as the README says; the checker does not model it).
            var step = _random.Next(3_901) - 900;
            _clock.WallOffsetMs = Math.Max(_clock.WallOffsetMs + step, _maxWallOffset - 900);
            _maxWallOffset = Math.Max(_maxWallOffset, _clock.WallOffsetMs);
            _stepped++;
            Note($"clock step {step} ms");
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
            done.Finished = true;
            Note($"client {done.Id} finished");
        }

        if (_random.Chance(2))
        {
            DropLiveConnection();
        }

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
            Disconnect(victim.Connection!, closeSource: true);
            Note($"client {victim.Id} killed");
        }

        return CheckMain();
    }

    private long _outage;
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

    private void Restart()
    {
        Note($"restart at {_clock.MonoMs} ms (wall {_clock.WallMs}); main {_files.Content(Output).Length} B, journal [{Encoding.ASCII.GetString(_files.Content(_options.JournalPath)).Replace('\n', '|')}]");
        try
        {
            _core = IngestCore.Open(_options, _files, _clock, NullEvents.Instance);
        }
        catch (IOException)
        {
            // The disk refused the start (the journal could not be rewritten): the server exits; it is started again later.
            _outage += 50;
            Note("start failed");
            return;
        }

        _resumeLast = _core.Resume.LastValue ?? -1;
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
        connection.Open = false;
        if (closeSource && _core is not null)
        {
            _core.CloseSource(connection.Source);
        }

        connection.Client.Connection = null;
        connection.Client.Failures = 0;
        connection.Client.ReconnectAtMs = _clock.MonoMs + Backoff(connection.Client);
    }

    private long Backoff(SimClient client)
    {
        // 10 ms doubling to 500 ms, ±20% jitter (the client's 100 ms to 5 s, scaled).
        var ms = Math.Min(10L << Math.Min(client.Failures, 10), 500);
        return ms * (800 + _random.Next(401)) / 1000;
    }

    private void ConnectAndSend(bool sending, bool connect = true)
    {
        foreach (var client in _clients)
        {
            if (client.Connection is { Ended: true } ended)
            {
                Disconnect(ended, closeSource: true); // the server closes after the final acknowledgement
                Note($"{client.Id} had its final acknowledgement; acked {client.AckedThrough - SimClock.Epoch}");
            }

            if (client.Gone || client.FinalReceived)
            {
                continue;
            }

            if (client.Connection is null)
            {
                if (!connect)
                {
                    continue;
                }

                if (_clock.MonoMs < client.ReconnectAtMs)
                {
                    continue;
                }

                if (_core is null)
                {
                    client.Failures++;
                    client.ReconnectAtMs = _clock.MonoMs + Backoff(client);
                    continue;
                }

                if (client.OpensAtMs < 0)
                {
                    client.OpensAtMs = _clock.MonoMs + _modelRandom.Next(_acceptWaitMaxMs + 1);
                    client.LastAtConnect = client.LastValue;
                }

                if (_clock.MonoMs < client.OpensAtMs)
                {
                    // Connected as the client sees it, not yet opened by the server. A plain client sends at once; an
                    // acknowledged one waits for the answer to its hello, which comes after the server opened it.
                    if (sending && !client.Acknowledged && !client.Finished && _clock.MonoMs >= client.NextSendMs)
                    {
                        client.NextSendMs = _clock.MonoMs + client.PeriodMs;
                        client.SentBeforeOpen.Add(client.NextValue(_clock.WallMs));
                    }

                    continue;
                }

                client.OpensAtMs = -1;
                var source = _core.OpenSource();
                var connection = new SimConnection(client, source, _random, _eagainPerMille)
                {
                    NewAbove = client.LastAtConnect,
                    HoldFrom = Math.Max(_clock.WallMs, _core.Snapshot().Floor),
                    StampsFrom = client.Acknowledged ? _clock.WallMs + client.SkewMs : long.MinValue,
                };
                client.Connection = connection;
                Connected(client);
                if (client.Acknowledged)
                {
                    _core.EnableAcks(source, client.Id, connection);
                    connection.InFlight.AddRange(client.Unacked); // the resends, in order, before anything new
                }

                connection.InFlight.AddRange(client.SentBeforeOpen);
                client.SentBeforeOpen.Clear();
            }

            if (client.Finished)
            {
                // Everything (the resends) read by the server, then the end of the stream: the transport reports it.
                if (client.Connection is { HalfClosed: false, Read: true, InFlight.Count: 0 } connection)
                {
                    connection.HalfClosed = true;
                    _core!.FinishSource(connection.Source);
                    Note($"{client.Id} half-closed; acked {client.AckedThrough - SimClock.Epoch}, unacked {client.Unacked.Count}");
                }

                continue;
            }

            if (sending && _clock.MonoMs >= client.NextSendMs)
            {
                client.NextSendMs = _clock.MonoMs + client.PeriodMs;
                var value = client.NextValue(_clock.WallMs);
                if (value < _resumeLast) // a copy of the file's last value is a duplicate, or follows it (keep-duplicates)
                {
                    _ = _lateByRule.Add(value);
                }

                client.Connection.InFlight.Add(value);
                if (client.Acknowledged)
                {
                    client.Unacked.Add(value);
                }
            }
        }
    }

    private long[] _chunk = new long[64];

    private void Deliver(bool all)
    {
        if (_core!.Backpressured)
        {
            return; // writes fail: the transports stop reading, the clients' sends wait in the socket buffers (TCP pushback)
        }

        var reach = _core.Snapshot().Floor + _core.WindowSize;
        if (_clients.Exists(c => c.Connection is { Read: true } connection && connection.InFlight.Count > 0 && connection.InFlight[^1] >= reach))
        {
            _beyondWindow++;
            Note("values in flight beyond the window: the write point must move on");
        }

        MarkLateAfterReconnect();
        foreach (var client in _clients)
        {
            if (client.Connection is not { Read: true } connection || connection.InFlight.Count == 0)
            {
                continue;
            }

            var take = all ? connection.InFlight.Count : 1 + _random.Next(connection.InFlight.Count);
            if (_chunk.Length < take)
            {
                _chunk = new long[Math.Max(take, _chunk.Length * 2)];
            }

            connection.InFlight.CopyTo(0, _chunk, 0, take);
            connection.InFlight.RemoveRange(0, take);
            var dropped = _droppedClients.Contains(client);
            if (dropped || _chunk[0] < connection.HoldFrom)
            {
                // Not promised: resends after a network failure may be below the write point; so may new values
                // below where the engine held it for this connection when it opened (a client clock behind; a plain
                // client's values stamped before the server opened its connection). An acknowledged client's values
                // stamped before the answer to its hello would not be excused: it must not send them.
                var floor = _core!.Snapshot().Floor;
                foreach (var value in _chunk.AsSpan(0, take))
                {
                    var excused = value > connection.NewAbove && value >= connection.StampsFrom && value < connection.HoldFrom;
                    if (value < floor && (dropped || excused))
                    {
                        _ = _lateByRule.Add(value);
                    }
                }
            }

            _core!.Ingest(connection.Source, _chunk.AsSpan(0, take));
            if (_tracing)
            {
                Note($"{client.Id} delivered {string.Join(',', _chunk.Take(take).Select(v => v - SimClock.Epoch))}; floor {_core.Snapshot().Floor - SimClock.Epoch}");
            }
        }
    }

    private void Flush()
    {
        _lastFlushMs = _clock.MonoMs;
        var lateBefore = _tracing ? _files.Content(_options.LateOutput).Length : 0;
        _ = _core!.Flush(final: false);
        if (_tracing)
        {
            var st = _core.Snapshot();
            Note($"flush: floor {st.Floor - SimClock.Epoch}, active {st.ActiveSources}, buffered {st.BufferedValues}");
        }
        if (_tracing && _files.Content(_options.LateOutput).Length != lateBefore)
        {
            var status = _core.Snapshot();
            Note($"late written; floor {status.Floor - SimClock.Epoch}, sources {status.OpenSources}/{status.ActiveSources}, clients {string.Join(' ', _clients.Select(c => $"{c.Id}:{(c.Connection is null ? "down" : "up")}:last {c.LastValue - SimClock.Epoch}:acked {c.AckedThrough - SimClock.Epoch}:unacked {c.Unacked.Count}"))}");
        }

        if (_core.BufferedValues > _core.WindowSize)
        {
            throw new InvalidOperationException($"memory: {_core.BufferedValues} values buffered, window {_core.WindowSize}");
        }
    }

    /// <summary>The main file as it is now: whole ascending lines (strictly in dedupe mode), checked incrementally.</summary>
    private string? CheckMain()
    {
        var content = _files.Content(Output);
        if (content.Length < _verifiedMain)
        {
            _verifiedMain = 0;
        }

        var last = _verifiedMain == 0 ? -1 : LastValueBefore(content, _verifiedMain);
        var rest = content[_verifiedMain..];
        while (true)
        {
            var newline = rest.IndexOf((byte)'\n');
            if (newline < 0)
            {
                return rest.IsEmpty ? null : $"main file: a torn line \"{Encoding.ASCII.GetString(rest)}\" while the server runs";
            }

            if (LineDecoder.Parse(rest[..newline], out var value) != LineStatus.Value)
            {
                return $"main file: a line that is not a timestamp at byte {_verifiedMain}";
            }

            if (value < last || (Dedupe && value == last))
            {
                return $"main file: {value} follows {last}";
            }

            last = value;
            _verifiedMain += newline + 1;
            rest = rest[(newline + 1)..];
        }
    }

    private static long LastValueBefore(ReadOnlySpan<byte> content, int end)
    {
        var line = content[..(end - 1)];
        var start = line.LastIndexOf((byte)'\n') + 1;
        _ = LineDecoder.Parse(line[start..], out var value);
        return value;
    }

    /// <summary>
    /// The promises, judged against the clients' own records: every acknowledged value stored exactly once
    /// (copy for copy with keep-duplicates), counting the main file and .late; no value in both; nothing
    /// stored that no client sent; in .late only values sent below the write point (or after an outage beyond the bound).
    /// </summary>
    private string? Check(bool final)
    {
        var main = Values(_files.Content(Output), out var mainTorn);
        var late = Values(_files.Content(_options.LateOutput), out _);
        if (final && mainTorn)
        {
            return "main file: a torn last line after a graceful stop";
        }

        for (var i = 1; i < main.Count; i++)
        {
            if (main[i] < main[i - 1] || (Dedupe && main[i] == main[i - 1]))
            {
                return $"main file: {main[i]} follows {main[i - 1]}";
            }
        }

        var stored = new Dictionary<long, int>();
        var inMain = new HashSet<long>(main);
        foreach (var v in main)
        {
            stored[v] = stored.GetValueOrDefault(v) + 1;
        }

        foreach (var v in late)
        {
            stored[v] = stored.GetValueOrDefault(v) + 1;
            if (Dedupe && inMain.Contains(v))
            {
                return $"{v} is in the main file and in .late";
            }
        }

        var sent = new Dictionary<long, int>();
        var acked = new Dictionary<long, int>();
        foreach (var client in _clients)
        {
            foreach (var v in client.Sent)
            {
                sent[v] = sent.GetValueOrDefault(v) + 1;
                if (client.Acknowledged && v <= client.AckedThrough)
                {
                    acked[v] = acked.GetValueOrDefault(v) + 1;
                }
            }
        }

        foreach (var (v, copies) in stored)
        {
            if (!sent.TryGetValue(v, out var sentCopies))
            {
                return $"{v} is stored but no client sent it";
            }

            if (copies > (Dedupe ? 1 : sentCopies))
            {
                return $"{v} is stored {copies} times, sent {sentCopies} times (acknowledged {acked.GetValueOrDefault(v)})";
            }
        }

        foreach (var (v, copies) in acked)
        {
            var have = stored.GetValueOrDefault(v);
            if (have < (Dedupe ? 1 : copies))
            {
                return $"{v} was acknowledged ({copies} copies) but is stored {have} times";
            }
        }

        foreach (var client in _clients)
        {
            if (client.UncoveredByFinal is { } uncovered)
            {
                return $"client {client.Id}: its final acknowledgement does not cover {uncovered}, which it sent";
            }

            if (final && client.Finished && !client.Gone && !client.FinalReceived)
            {
                return $"client {client.Id} finished sending but never had its final acknowledgement";
            }
        }

        if (_beyondWindow == 0 && late.Find(v => !_lateByRule.Contains(v)) is var notLate && notLate != 0)
        {
            return $".late holds {notLate}, not late by the rules (sent above the write point, no outage outlasted {_options.Ordering.ResumeOutageMs} ms)";
        }

        return null;
    }

    private static List<long> Values(ReadOnlySpan<byte> content, out bool torn)
    {
        var values = new List<long>();
        torn = false;
        while (!content.IsEmpty)
        {
            var newline = content.IndexOf((byte)'\n');
            if (newline < 0)
            {
                torn = true;
                break;
            }

            if (LineDecoder.Parse(content[..newline], out var value) == LineStatus.Value)
            {
                values.Add(value);
            }

            content = content[(newline + 1)..];
        }

        return values;
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

/// <summary>Reports nowhere.</summary>
internal sealed class NullEvents : IIngestEvents
{
    public static NullEvents Instance { get; } = new();

    public void Opened(string path, ResumeInfo found)
    {
    }

    public void CutToJournal(string path, long mainBytes, long lateBytes)
    {
    }

    public void WriteFailed(string path, string message)
    {
    }

    public void SyncFailed(string path, string message)
    {
    }

    public void WriteRecovered(string path, long bytes)
    {
    }

    public void LateWritten(long count, string path)
    {
    }

    public void FutureRejected(long count)
    {
    }

    public void Wrote(long startedTimestamp)
    {
    }

    public void Synced(long startedTimestamp)
    {
    }
}
