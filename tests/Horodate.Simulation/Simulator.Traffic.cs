using System.Globalization;
using System.Text;
using Horodate.Client.Load;
using Horodate.Core.Durability;
using Horodate.Core.Ordering;
using Horodate.Core.Protocol;
using Horodate.Core.Storage;

namespace Horodate.Simulation;

/// <content>The traffic: clients connecting (after the accept wait) and sending, the server reading and flushing.</content>
internal sealed partial class Simulator
{
    private void ConnectAndSend(bool sending, bool connect = true)
    {
        foreach (var client in _clients)
        {
            if (client.Connection is { Ended: true } ended)
            {
                Disconnect(ended, closeSource: true); // the server closes after the final acknowledgement
            }

            if (client.Gone || client.FinalReceived)
            {
                continue;
            }

            if (client.Acknowledged)
            {
                GiveUpIfWaitedTooLong(client);
                if (client.Gone)
                {
                    continue;
                }

                DriveProduction(client, sending);
                CloseWhenPlainAndDone(client);
                if (client.FinalReceived)
                {
                    continue;
                }

                if (client.Finished && client.Connection is { ClientShutdown: true, HalfClosed: false, Read: true, InFlight.Count: 0 } finishing)
                {
                    // Everything (the resends) read by the server, then the end of the stream: the transport reports it.
                    finishing.HalfClosed = true;
                    _core!.FinishSource(finishing.Source);
                    Note($"{client.Id} half-closed; acked {client.AckedThrough - SimClock.Epoch}, unacked {client.Unacked.Length}");
                }
            }

            if (client.Connection is null)
            {
                Connect(client, sending, connect);
                continue;
            }

            if (!client.Acknowledged && sending && _clock.MonoMs >= client.NextSendMs)
            {
                client.NextSendMs = _clock.MonoMs + client.PeriodMs;
                var value = client.NextValue(_clock.WallMs);
                if (value < _resumeLast) // a copy of the file's last value is a duplicate, or follows it (keep-duplicates)
                {
                    _ = _lateByRule.Add(value);
                }

                client.Connection.InFlight.Add(value);
            }
        }
    }

    private void Connect(SimClient client, bool sending, bool connect)
    {
        if (!connect || _clock.MonoMs < client.ReconnectAtMs || client.Production is { State: not ConnectionState.Down })
        {
            return; // (an acknowledged client reconnects once it noticed that its connection is gone)
        }

        if (_core is null)
        {
            client.Failures++;
            client.ReconnectAtMs = _clock.MonoMs + Backoff(client);
            return;
        }

        if (client.OpensAtMs < 0)
        {
            client.ConnectedAtMs = _clock.MonoMs;
            client.OpensAtMs = _clock.MonoMs + _modelRandom.Next(_acceptWaitMaxMs + 1);
            client.LastAtConnect = client.LastValue;
        }

        if (_clock.MonoMs < client.OpensAtMs)
        {
            // Connected as the client sees it, not yet opened by the server. A plain client sends at once; an
            // acknowledged one waits for the answer to its hello, which comes after the server opened it.
            if (sending && !client.Acknowledged && _clock.MonoMs >= client.NextSendMs)
            {
                client.NextSendMs = _clock.MonoMs + client.PeriodMs;
                client.SentBeforeOpen.Add(client.NextValue(_clock.WallMs));
            }

            return;
        }

        client.OpensAtMs = -1;
        var source = _core.OpenSource();
        var connection = new SimConnection(client, source, _random, _eagainPerMille)
        {
            NewAbove = client.LastAtConnect,
            HoldFrom = Math.Max(_clock.WallMs, _core.Snapshot().Floor),
            StampsFrom = client.Acknowledged ? _clock.WallMs + client.SkewMs : long.MinValue,
            SendBufferBytes = _sendBufferBytes,
            Wire = _wireRandom,
            WriteEagainPerMille = _writeEagainPerMille,
            PartialPerMille = _partialPerMille,
            Clock = _clock,
            HeardAtMs = _core.ListeningMs,
        };
        client.Connection = connection;
        Connected(client);
        if (client.Acknowledged)
        {
            BringUp(client, connection); // its resends go out on its turns once its hello is answered
        }

        connection.InFlight.AddRange(client.SentBeforeOpen);
        client.SentBeforeOpen.Clear();
    }

    private long[] _chunk = new long[64];

    // The highest max-delay bound of this run of the server: the write point was forced past it (values below it are late).
    private long _delayBoundSeen = long.MinValue;

    private void Deliver(bool all)
    {
        if (_core!.Backpressured)
        {
            return; // writes fail: the transports stop reading, the clients' sends wait in the socket buffers (TCP pushback)
        }


        MarkLateAfterReconnect();
        foreach (var client in _clients)
        {
            if (client.Connection is not { Read: true } connection || connection.InFlight.Count == 0)
            {
                continue;
            }

            var take = all ? connection.InFlight.Count : 1 + _random.Next(connection.InFlight.Count);
            if (!ReadsOverLink(client, ref take))
            {
                continue;
            }

            if (_chunk.Length < take)
            {
                _chunk = new long[Math.Max(take, _chunk.Length * 2)];
            }

            connection.ReadInto(_chunk, take);
            var dropped = _droppedClients.Contains(client);
            var afterGrace = _clock.MonoMs >= _graceEndsMs;
            var delayBound = _delayBoundSeen = Math.Max(_delayBoundSeen, _core!.DelayBound); // a wall-clock step back lowers it, not the floor
            var listening = _core.ListeningMs;
            if (listening - connection.HeardAtMs >= _options.Ordering.IdleTimeoutMs)
            {
                connection.LateBelow = Math.Max(connection.LateBelow, _core.Snapshot().Floor);
            }

            connection.HeardAtMs = listening;
            if (dropped || afterGrace || _chunk[0] < connection.HoldFrom || _chunk[0] < delayBound || _chunk[0] < connection.LateBelow)
            {
                // Not promised: resends after a network failure may be below the write point; so may new values
                // below where the engine held it for this connection when it opened (a client clock behind; a plain
                // client's values stamped before the server opened its connection). An acknowledged client's values
                // stamped before the answer to its hello would not be excused: it must not send them. Nor resends
                // read after the restart's grace (README, Restart: it covers the backoff and a quick resend; a backlog
                // through a send buffer of a few lines, a few lines a turn, can outlast it). A connection's new values
                // after a resend that outlasted the idle timeout are excused no more: a resend is activity (seed 2451).
                // And values older than the max-delay's bound on the write point (a connection that lags: a slow link),
                // and those below where the write point was when a connection silent for the idle timeout spoke again.
                var floor = _core!.Snapshot().Floor;
                foreach (var value in _chunk.AsSpan(0, take))
                {
                    var excused = value > connection.NewAbove && value >= connection.StampsFrom && value < connection.HoldFrom;
                    var resent = value <= connection.NewAbove;
                    if (value < floor && (excused || ((dropped || afterGrace) && resent) || value < delayBound || value < connection.LateBelow))
                    {
                        _ = _lateByRule.Add(value);
                    }
                }
            }

            var reach = _core!.Snapshot().Floor + _core.WindowSize;
            _core.Ingest(connection.Source, _chunk.AsSpan(0, take));
            if (_chunk[take - 1] >= reach)
            {
                _forcedFloor = Math.Max(_forcedFloor, _core.Snapshot().Floor);
                Note($"{client.Id} delivered a value beyond the window: the write point moved on to {_forcedFloor - SimClock.Epoch}");
            }
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
        _delayBoundSeen = Math.Max(_delayBoundSeen, _core.DelayBound);
        if (_tracing)
        {
            var st = _core.Snapshot();
            Note($"flush: floor {st.Floor - SimClock.Epoch}, active {st.ActiveSources}, buffered {st.BufferedValues}");
        }
        if (_tracing && _files.Content(_options.LateOutput).Length != lateBefore)
        {
            var status = _core.Snapshot();
            Note($"late written; floor {status.Floor - SimClock.Epoch}, sources {status.OpenSources}/{status.ActiveSources}, clients {string.Join(' ', _clients.Select(c => $"{c.Id}:{(c.Connection is null ? "down" : "up")}:last {c.LastValue - SimClock.Epoch}:acked {c.AckedThrough - SimClock.Epoch}:unacked {c.Unacked.Length}"))}");
        }

        if (_core.BufferedValues > _core.WindowSize)
        {
            throw new InvalidOperationException($"memory: {_core.BufferedValues} values buffered, window {_core.WindowSize}");
        }
    }
}
