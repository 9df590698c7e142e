namespace Horodate.Simulation;

/// <summary>The storage and network faults added with issue 10's review: failed fsyncs, power losses while down, dropped connections; clock steps.</summary>
internal sealed partial class Simulator
{
    // Connections the network dropped that the server has not noticed yet: still open sources, acknowledged under the
    // same client id as the client's new connection.
    private readonly List<(SimConnection Connection, long CloseAtMs)> _stale = [];
    private readonly Dictionary<SimClient, long> _reconnecting = []; // the wall clock when it reconnected (-1: not yet)
    private readonly SimRandom _restartRandom;

    /// <summary>
    /// An fsync failed: the server stops, as production does (a graceful stop that acknowledges nothing more, then a
    /// non-zero exit); the page cache, with whatever the failed fsync dropped, outlives it.
    /// </summary>
    private void StopAfterFailedSync()
    {
        Note($"fsync failed ({_core!.Failure}): the server stops");
        GracefulStop();
    }

    /// <summary>The power fails while the server is down: what a killed or stopped server left in the page cache is at stake.</summary>
    private void PowerLossWhileDown()
    {
        Note("power loss while down");
        _files.PowerLoss();
    }

    /// <summary>
    /// The network drops a live connection of an acknowledged client: the client sees it at once and reconnects with
    /// its id after its backoff, resending what was not acknowledged; the server notices only later (a stale source,
    /// still open and acknowledged, beside the new one).
    /// </summary>
    private void DropLiveConnection()
    {
        if (_clients.Find(c => c.Acknowledged && !c.Gone && !c.Finished && c.Connection is { HalfClosed: false }) is not { } client)
        {
            return;
        }

        var connection = client.Connection!;
        LoseInTransit(connection); // nothing more crosses it, either way
        _stale.Add((connection, _clock.MonoMs + _random.Next(200)));
        client.Connection = null;
        client.Failures = 0;
        client.ReconnectAtMs = _clock.MonoMs + Backoff(client);
        _reconnecting[client] = -1;
        foreach (var value in client.Unacked)
        {
            _ = _lateByRule.Add(value); // its resends
        }

        Note($"{client.Id}: connection dropped (source {connection.Source}); the server notices later");
    }

    /// <summary>The server's wall clock steps (NTP, an operator).</summary>
    private void StepClock()
    {
        // A clock step: forward up to 3 s (beyond the idle timeout and the max-delay), or back by no more than
        // MaxFuture less the clients' skew below the highest the clock read (further back, a value a client stamped
        // before the step is "in the future" and rejected: acknowledged, never stored, as the README says; the checker
        // does not model it). Clients' skews are within ±20 ms, so 900 back; with their own clocks stepping, up to
        // +300 ms (Simulator.ClientClocks), so 1,000 - 300 = 700 back (seed 67540 with --client-clocks stepped back 773
        // under a client 275 ahead: its value 1,048 ms ahead was rejected, then acknowledged, never stored).
        var step = _random.Next(3_901) - 900;
        var furthestBack = ClientClocksStep ? 700 : 900;
        _clock.WallOffsetMs = Math.Max(_clock.WallOffsetMs + step, _maxWallOffset - furthestBack);
        _maxWallOffset = Math.Max(_maxWallOffset, _clock.WallOffsetMs);
        _stepped++;
        foreach (var client in _clients)
        {
            if (client is { Acknowledged: true, Connection: { } connection } && client.LastValue <= connection.NewAbove)
            {
                // Nothing new stamped on it yet (its hello not answered, or its turn not come): its first value is
                // stamped by the clock as it reads then.
                connection.StampsFrom = Math.Min(connection.StampsFrom, _clock.WallMs + client.SkewMs);
            }
        }

        Note($"clock step {step} ms");
    }

    /// <summary>
    /// The network drops a connection: nothing more crosses it; what the server sent and the client had not read yet
    /// may be lost with it (the client learns of the loss at once, or when a send fails).
    /// </summary>
    /// <summary>
    /// A client killed (its process, or its host): the server sees its connection close at once, or (its host gone,
    /// a partition) only later, the connection still open, holding nothing new. Half the time it is restarted: a new
    /// client joins while the server may still hold the old connection, under a new id (horodate-client draws its run's
    /// id at random: a restarted client is another client to the server). The draws come from a stream of their own.
    /// </summary>
    private void KillClient(SimClient victim)
    {
        var connection = victim.Connection!;
        if (_restartRandom.Chance(500))
        {
            LoseInTransit(connection);
            _stale.Add((connection, _clock.MonoMs + _restartRandom.Next(200)));
            victim.Connection = null;
            Note($"client {victim.Id} killed (source {connection.Source}); the server notices later");
        }
        else
        {
            Disconnect(connection, closeSource: true);
            Note($"client {victim.Id} killed");
        }

        if (_restartRandom.Chance(500))
        {
            var restarted = new SimClient(_clients.Count, victim.Acknowledged, victim.SkewMs, victim.PeriodMs)
            {
                ReconnectAtMs = _clock.MonoMs + _restartRandom.Next(50),
            };
            _clients.Add(restarted);
            Restarted++;
            Note($"client {victim.Id} restarted as {restarted.Id}");
        }
    }

    /// <summary>Killed clients restarted (as new clients) in this schedule.</summary>
    public int Restarted { get; private set; }

    private void LoseInTransit(SimConnection connection)
    {
        if (_wireRandom.Chance(500))
        {
            connection.LoseUnread();
        }

        connection.Close();
    }

    /// <summary>
    /// Before values are read: the README does not promise that a client reconnecting after a network failure (not a
    /// restart) finds the write point below its resends, nor below its first new values when its clock lags: a new
    /// connection holds the write point at the server's clock when it opened (and a resend, already received, does not
    /// move that hold). Its values below that hold may be late by rule, until one reaches it.
    /// </summary>
    private void MarkLateAfterReconnect()
    {
        if (_reconnecting.Count == 0 || _core is null)
        {
            return;
        }

        long? floor = null;
        foreach (var (client, openedAt) in _reconnecting.ToList())
        {
            if (client.Connection is not { Read: true } connection || openedAt < 0 || connection.InFlight.Count == 0)
            {
                continue;
            }

            floor ??= _core.Snapshot().Floor;
            var hold = Math.Max(openedAt, floor.Value);
            foreach (var value in connection.InFlight)
            {
                if (value >= hold)
                {
                    _ = _reconnecting.Remove(client);
                    break;
                }

                _ = _lateByRule.Add(value);
            }
        }
    }

    /// <summary>A client's new connection opened (after a dropped one, its hold is the server's clock now).</summary>
    private void Connected(SimClient client)
    {
        if (_reconnecting.TryGetValue(client, out var openedAt) && openedAt < 0)
        {
            _reconnecting[client] = _clock.WallMs;
        }
    }

    /// <summary>The server notices dropped connections (<paramref name="all"/>: at a stop, it closes every one).</summary>
    private void CloseStaleSources(bool all = false)
    {
        for (var i = _stale.Count - 1; i >= 0; i--)
        {
            if (all || _clock.MonoMs >= _stale[i].CloseAtMs)
            {
                _core?.CloseSource(_stale[i].Connection.Source);
                _stale.RemoveAt(i);
            }
        }
    }

    /// <summary>
    /// A restart after an outage beyond the stated bound (<see cref="Horodate.Core.Ordering.OrderingOptions.ResumeOutageMs"/>):
    /// what the clients resend now may be late by rule. Only that: values sent after the restart are judged as usual.
    /// </summary>
    private void AfterLongOutage()
    {
        _longOutage++;
        foreach (var client in _clients)
        {
            foreach (var value in client.Unacked)
            {
                _ = _lateByRule.Add(value);
            }
        }
    }

    /// <summary>How many fsyncs failed in this schedule.</summary>
    public int FailedSyncs => _files.FailedSyncs;

    /// <summary>Whether a schedule's power losses may leave NUL tails (on by default: see <see cref="SimFileSystem.NulTails"/>).</summary>
    public bool NulTails
    {
        get => _files.NulTails;
        init => _files.NulTails = value;
    }

}
